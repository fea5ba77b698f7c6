-- The real spam_signals seed against realistic comments in our six languages: the score of
-- each example (the highest weight per signal, summed: int_comment_spam_signals's rule, the same
-- macro spam_signal_weight; repeated_text aside, it needs a corpus) must reach
-- var('spam_score_threshold') exactly when the example is spam. Returns the failures.
-- depends_on: {{ ref('spam_signals') }}

{%- set signals = spam_signal_regexes(spam_signals()) %}

with

examples as (

    select
        examples.example_text,
        examples.is_spam

    from (
        values
        ('Check out my channel for more space videos!! 👉 youtube.com/@spacecl1cks', true),
        ('SUB 4 SUB anyone? I sub back', true),
        ('Hot singles near you, call +44 7911 123456', true),
        ('Free gift card codes here, no survey', true),
        ('I earn $500 a day working from home, ask me how', true),
        ('Contact me on WhatsApp +1 555 123 4567', true),
        ('visit bit.ly/freestuff', true),
        ('Please subscribe, I am a small youtuber', true),
        ('Schaut mal auf meinem Kanal vorbei, neue Videos jeden Tag!', true),
        ('Suscríbete a mi canal, subo videos de Minecraft', true),
        ('Se inscreva no meu canal por favor', true),
        ('Abonnez-vous à ma chaîne, merci !', true),
        ('Mampir ke channel ku ya kak, jangan lupa subscribe', true),
        ('I subscribe to their newsletter and they announced this landing weeks ago', false),
        ('PSY - GANGNAM STYLE (강남스타일) M/V: http://youtu.be/9bZkp7q19f0', false),
        ('The sky crane maneuver still gives me chills', false),
        ('Kostet ein Schweinegeld und ist so unglaublich sinnlos.', false),
        ('Wow 2:45 is unreal, check it out', false),
        ('2.124.821.694 views, wow', false),
        ('Follow the science, not the hype', false),
        ('Que lindo video, me encanta esta canción', false),
        ('I watched this on my phone at 3am, what a time to be alive', false),
        ('Parabéns NASA, que incrível!', false),
        ('wkwkwk lucu banget', false)
    ) as examples (example_text, is_spam)

),

prepared as (

    select
        example_text,
        is_spam,
        {{ spam_match_text('example_text') }} as match_text

    from examples

),

scored as (

    select
        example_text,
        is_spam,
        0
        {%- for s in signals %}
        + {{ spam_signal_weight(s, 'match_text') }}
        {%- endfor %} as spam_score

    from prepared

)

select
    example_text,
    is_spam,
    spam_score

from scored
where (spam_score >= {{ var('spam_score_threshold') }}) is distinct from is_spam

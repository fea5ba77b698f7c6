-- The real theme_keywords seed against realistic comments (several from the Perseverance
-- landing page sample): each example must match its theme, or must NOT match it when
-- should_match is false (word boundaries around umlauts, inflections). Returns the failures.
-- depends_on: {{ ref('theme_keywords') }}

{%- set themes = theme_regexes(theme_keywords()) %}

with

examples as (

    select
        examples.example_text,
        examples.theme,
        examples.should_match

    from (
        values
        ('Kostet ein Schweinegeld und ist so unglaublich sinnlos.', 'cost_money', true),
        ('Kostet ein Schweinegeld und ist so unglaublich sinnlos.', 'criticism', true),
        ('Die Kosten sind enorm, Milliarden für nichts', 'cost_money', true),
        ('Das Kostüm des Astronauten ist großartig', 'cost_money', false),
        ('Das Kostüm des Astronauten ist großartig', 'praise', true),
        ('Völlig übertrieben, diese Show', 'criticism', true),
        ('Ärgerlich!', 'criticism', true),
        ('I dont believe that billions of dollars are been invested', 'cost_money', true),
        ('If only more people engaged in critical thinking.', 'conspiracy_skepticism', true),
        ('No one else find it odd that video of this quality', 'conspiracy_skepticism', true),
        ('Lol I’ve seen more technology. Hilarious… really', 'humor', true),
        ('Lollipops for everyone', 'humor', false),
        ('the Chinese army', 'politics_nationality', true),
        ('let us give credit to the Americans', 'politics_nationality', true),
        ('As a kid I read tattered library books', 'nostalgia_awe', true),
        ('I can’t believe this isn’t Earth', 'nostalgia_awe', true),
        ('because of the lack of oxygen on Mars', 'science_technical', true),
        ('¿Por qué no mandan humanos?', 'question', true),
        ('Check out my channel for more space videos', 'spam_self_promotion', true),
        ('Parabéns NASA, que incrível!', 'praise', true),
        ('wkwkwk lucu banget', 'humor', true),
        ('C''est n’importe quoi', 'criticism', true)
    ) as examples (example_text, theme, should_match)

),

prepared as (

    select
        example_text,
        theme,
        should_match,
        {{ theme_match_text('example_text') }} as match_text

    from examples

),

matched as (

    select
        example_text,
        theme,
        should_match,
        case theme
            {%- for t in themes %}
            when '{{ t.theme }}' then regexp_matches(match_text, {{ t.regex }})
            {%- endfor %}
        end as is_match

    from prepared

)

select
    example_text,
    theme,
    should_match,
    is_match

from matched
where is_match is distinct from should_match

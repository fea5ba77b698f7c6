-- One row per (comment, spam signal) that fired, with its weight and the evidence. fct_comments
-- sums the weights into spam_score; is_spam = spam_score >= var('spam_score_threshold').
--
-- Pattern signals come from the `spam_signals` seed: read at compile time
-- (macros/spam_signals.sql) and inlined as ONE constant regex per signal, on the lower-cased
-- plain text with YouTube video links rewritten (spam_match_text). A signal scores the highest
-- weight among its patterns that match; several matches of one signal count once.
--
-- One signal is computed here, not in the seed: `repeated_text`. The same normalized text
-- (lower case, punctuation and whitespace collapsed) of at least
-- var('spam_repeated_text_min_length') characters, posted by at least
-- var('spam_repeated_text_min_authors') distinct authors or at least
-- var('spam_repeated_text_min_posts') times anywhere in the warehouse, is a copy-paste
-- campaign ("Check out this video on YouTube:") and weighs var('spam_repeated_text_weight').
{#- The seed is read with run_query (macros/spam_signals.sql); declare the dependency. #}
-- depends_on: {{ ref('spam_signals') }}

{%- set signals = spam_signal_regexes(spam_signals()) %}
{%- if execute and signals | length == 0 %}
    {{ exceptions.raise_compiler_error('The spam_signals seed is empty: no signal to match.') }}
{%- endif %}

with

comments as (

    select
        platform,
        content_id,
        comment_id,
        coalesce(author_id, author_name) as author,
        comment_text

    from {{ ref('int_comments__latest') }}
    where comment_text is not null

),

-- materialized: every signal below reads it, and preparing the texts costs two regex passes
prepared as materialized (

    select
        platform,
        content_id,
        comment_id,
        author,
        {{ spam_match_text('comment_text') }} as match_text,
        {{ comment_normalized_text('comment_text') }} as normalized_text

    from comments

),

pattern_signals as (

    {%- for s in signals %}

    select
        platform,
        content_id,
        comment_id,
        '{{ s.signal }}' as spam_signal,
        {%- if s.weights | length == 1 %}
        {{ s.weights[0].weight }} as weight,
        {%- else %}
        case
            {%- for w in s.weights %}
            when regexp_matches(match_text, {{ w.regex }}) then {{ w.weight }}
            {%- endfor %}
        end as weight,
        {%- endif %}
        regexp_extract(match_text, {{ s.regex }}, 1) as evidence

    from prepared
    where regexp_matches(match_text, {{ s.regex }})
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

repeated_texts as (

    select
        normalized_text,
        count(*) as posts,
        count(distinct author) as authors

    from prepared
    where length(normalized_text) >= {{ var('spam_repeated_text_min_length') }}
    group by normalized_text
    having
        count(distinct author) >= {{ var('spam_repeated_text_min_authors') }}
        or count(*) >= {{ var('spam_repeated_text_min_posts') }}

),

repeated_signals as (

    select
        prepared.platform,
        prepared.content_id,
        prepared.comment_id,
        'repeated_text' as spam_signal,
        {{ var('spam_repeated_text_weight') }} as weight,
        'posted ' || repeated_texts.posts || ' times by '
        || repeated_texts.authors || ' authors' as evidence

    from prepared
    inner join repeated_texts
        on prepared.normalized_text = repeated_texts.normalized_text

),

signals as (

    select * from pattern_signals

    union all

    select * from repeated_signals

)

select
    platform,
    content_id,
    comment_id,
    spam_signal,
    cast(weight as integer) as weight,
    evidence

from signals

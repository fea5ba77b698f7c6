-- One row per comment in a language the `sentiment_lexicon` seed covers (English: the VADER
-- lexicon, 7,209 single words): its sentiment score and label. Other languages, and `und`,
-- get no row; fct_comments labels them `und` (not judged).
--
-- A lexicon method in SQL, VADER-like (Hutto & Gilbert 2014): every word of the normalized
-- text (comment_normalized_text) found in the lexicon adds its valence (-4..+4); a negator
-- ("not", "never", "no", "don't" -> "don t", ...) among the three words before it flips and
-- damps it (x -0.74, VADER's N_SCALAR). The sum s becomes score = s / sqrt(s * s + 15) in
-- -1..1 (VADER's compound normalization); positive from var('sentiment_positive_from'),
-- negative up to -var('sentiment_positive_from'), neutral between (also for a text without any
-- lexicon word). Not reproduced from VADER: boosters ("very"), capitals, "!", "but" and
-- emoji; bench/themes measures what that costs against the reference implementation.
--
-- Incremental: a build judges the touched comments (int_comments__touched) only.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_touched',
    touched='int_comments__touched',
    unique_key=['platform', 'content_id', 'comment_id']
) }}
-- depends_on: {{ ref('int_comments__touched') }}

{%- set negators = [
    'not', 'no', 'never', 'nothing', 'nobody', 'none', 'nor', 'neither', 'cannot', 't',
    'without', 'hardly', 'barely', 'rarely', 'seldom'
] %}

with

lexicon_languages as (

    select distinct language
    from {{ ref('sentiment_lexicon') }}

),

comments as (

    select
        platform,
        content_id,
        comment_id,
        language,
        -- a number per comment, only for this query: the joins below are on it
        row_number() over () as comment_number,
        string_split({{ comment_normalized_text('comment_text') }}, ' ') as words

    from {{ ref('int_comments__latest') }}
    where
        comment_text is not null
        and language in (select lexicon_languages.language from lexicon_languages)
        and {{ touched_only(['platform', 'content_id', 'comment_id'], 'int_comments__touched') }}

),

-- every word found in the lexicon, with its position; the lexicon join comes first, so the
-- negators are looked for before the few words that carry a valence, not before every word
-- (43 s -> 14 s wall for this model's query on the 1M bench warehouse)
hits as (

    select
        word_positions.comment_number,
        word_positions.word_index,
        lexicon.valence

    from (
        select
            comment_number,
            language,
            unnest(words) as word,
            generate_subscripts(words, 1) as word_index
        from comments
    ) as word_positions
    inner join {{ ref('sentiment_lexicon') }} as lexicon
        on
            word_positions.word = lexicon.term
            and word_positions.language = lexicon.language

),

valences as (

    select
        hits.comment_number,
        hits.valence
        * case
            when list_has_any(
                comments.words[greatest(1, hits.word_index - 3):hits.word_index - 1],
                {{ negators }}
            ) then -0.74
            else 1
        end as valence

    from hits
    inner join comments
        on hits.comment_number = comments.comment_number

),

sums as (

    select
        comments.platform,
        comments.content_id,
        comments.comment_id,
        coalesce(sum(valences.valence), 0)
        / sqrt(coalesce(sum(valences.valence), 0) ^ 2 + 15) as score

    from comments
    left join valences
        on comments.comment_number = valences.comment_number
    group by comments.platform, comments.content_id, comments.comment_id

)

select
    platform,
    content_id,
    comment_id,
    round(score, 4) as sentiment_score,
    case
        when score >= {{ var('sentiment_positive_from') }} then 'positive'
        when score <= -{{ var('sentiment_positive_from') }} then 'negative'
        else 'neutral'
    end as sentiment

from sums

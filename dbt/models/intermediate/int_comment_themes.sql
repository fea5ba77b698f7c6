-- One row per (comment, theme) the comment's text matches, with an explainable score.
--
-- How it scales: the keywords of the `theme_keywords` seed are read at compile time
-- (macros/theme_keywords.sql) and inlined as ONE constant regex per theme, so each comment costs
-- one regexp_matches per theme (~10), and regexp_extract_all only where a theme matched.
-- There is no join of comments with keywords (a regex that comes from a join is recompiled for
-- every row).
--
-- Languages: every comment is matched against the keywords of every language. The seed's
-- `language` column is documentation only: language detection on short comments is
-- unreliable ("Lol", "Schweinegeld!", mixed languages), and a keyword specific enough to be a
-- theme signal rarely means something else in another of our languages.
--
-- Score: sum of the weights of the DISTINCT words/phrases that matched (a word repeated five
-- times counts once; `match_count` counts every occurrence). A matched word gets the highest
-- weight among the patterns of its theme that match it in full.
--
-- Incremental: a build rematches the touched comments (int_comments__touched) only.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_touched',
    touched='int_comments__touched',
    unique_key=['platform', 'content_id', 'comment_id']
) }}
-- depends_on: {{ ref('int_comments__touched') }}
{#- The seed is read with run_query (macros/theme_keywords.sql); declare the dependency. #}
-- depends_on: {{ ref('theme_keywords') }}

{%- set keywords = theme_keywords() %}
{%- set themes = theme_regexes(keywords) %}
{%- set weights = theme_weight_regexes(keywords) %}
{%- if execute and themes | length == 0 %}
    {{ exceptions.raise_compiler_error('The theme_keywords seed is empty: no theme to match.') }}
{%- endif %}

with

comments as (

    select * from {{ ref('int_comments__latest') }}
    where {{ touched_only(['platform', 'content_id', 'comment_id'], 'int_comments__touched') }}

),

-- materialized: every theme below reads it, and the text preparation is a regex pass too
prepared as materialized (

    select
        platform,
        content_id,
        comment_id,
        {{ theme_match_text('comment_text') }} as match_text

    from comments
    where comment_text is not null

),

theme_matches as (

    {%- for t in themes %}

    select
        platform,
        content_id,
        comment_id,
        '{{ t.theme }}' as theme,
        regexp_extract_all(match_text, {{ t.regex }}, 1) as terms

    from prepared
    where regexp_matches(match_text, {{ t.regex }})
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

-- each match with its whitespace collapsed ("wake  up" -> "wake up"), once: both the weights
-- (matched_terms) and the sorted term lists (term_lists) read it
normalized_matches as (

    select
        platform,
        content_id,
        comment_id,
        theme,
        list_transform(terms, lambda term: regexp_replace(term, '\s+', ' ', 'g')) as terms

    from theme_matches

),

matched_terms as (

    select
        platform,
        content_id,
        comment_id,
        theme,
        unnest(terms) as term

    from normalized_matches

),

weighted_terms as (

    select
        platform,
        content_id,
        comment_id,
        theme,
        term,
        count(*) as occurrences,
        case
            {%- for w in weights %}
            when theme = '{{ w.theme }}' and regexp_full_match(term, {{ w.regex }})
                then {{ w.weight }}
            {%- endfor %}
        end as weight

    from matched_terms
    group by platform, content_id, comment_id, theme, term

),

scored as (

    select
        platform,
        content_id,
        comment_id,
        theme,
        cast(sum(weight) as integer) as score,
        cast(sum(occurrences) as bigint) as match_count

    from weighted_terms
    group by platform, content_id, comment_id, theme

),

-- The sorted distinct terms per (comment, theme) with list functions, not list(term order by
-- term) in `scored`: a list() aggregate cannot spill to disk and runs out of memory at
-- millions of (comment, theme) groups (macros/name_bits.sql).
term_lists as (

    select
        platform,
        content_id,
        comment_id,
        theme,
        list_sort(list_distinct(terms)) as matched_terms

    from normalized_matches

)

select
    scored.platform,
    scored.content_id,
    scored.comment_id,
    scored.theme,
    scored.score,
    term_lists.matched_terms,
    scored.match_count

from scored
inner join term_lists
    on
        scored.platform = term_lists.platform
        and scored.content_id = term_lists.content_id
        and scored.comment_id = term_lists.comment_id
        and scored.theme = term_lists.theme

-- Per content, theme and language: how many NON-SPAM comments carry the theme (spam_comments
-- counts the spam ones apart), their share of the content's non-spam comments (a comment can
-- have several themes, so shares of a content do not sum to 1), their likes, and one example:
-- the highest-scoring, then most-liked, then earliest (lowest position) non-spam comment.
-- A theme+language seen only in spam has comments = 0 and no example.
--
-- Incremental: a build recomputes the touched contents (int_contents__touched) only.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_touched',
    touched='int_contents__touched',
    unique_key='content_key'
) }}
-- depends_on: {{ ref('int_contents__touched') }}

with

content_totals as (

    select
        content_key,
        count(*) filter (where not is_spam) as content_comments

    from {{ ref('fct_comments') }}
    where {{ touched_only(['content_key'], 'int_contents__touched') }}
    group by content_key

),

themed_comments as (

    select
        comments.content_key,
        comments.platform,
        comments.content_id,
        comments.comment_id,
        comments.language,
        comments.is_spam,
        comments.like_count,
        comments.comment_text,
        comments.position,
        comment_themes.theme,
        comment_themes.score

    from {{ ref('int_comment_themes') }} as comment_themes
    inner join {{ ref('fct_comments') }} as comments
        on
            comment_themes.platform = comments.platform
            and comment_themes.content_id = comments.content_id
            and comment_themes.comment_id = comments.comment_id
    where {{ touched_only(['content_key'], 'int_contents__touched', 'comments') }}

),

per_theme as (

    select
        content_key,
        platform,
        content_id,
        theme,
        language,
        count(*) filter (where not is_spam) as comments,
        count(*) filter (where is_spam) as spam_comments,
        sum(like_count) filter (where not is_spam) as likes_total,
        avg(score) filter (where not is_spam) as avg_score

    from themed_comments
    group by content_key, platform, content_id, theme, language

),

-- the example of each content, theme and language: its first non-spam comment by
-- example_comment_order (none when only spam carries the theme)
examples as (

    select
        content_key,
        theme,
        language,
        comment_id as example_comment_id,
        left(comment_text, 280) as example_text_excerpt

    from themed_comments
    where not is_spam
    qualify row_number() over (
        partition by content_key, theme, language
        order by {{ example_comment_order(['score desc']) }}
    ) = 1

)

select
    per_theme.content_key,
    per_theme.platform,
    per_theme.content_id,
    per_theme.theme,
    per_theme.language,
    per_theme.comments,
    per_theme.spam_comments,
    cast(per_theme.comments as double)
    / nullif(content_totals.content_comments, 0) as share_of_content_comments,
    per_theme.likes_total,
    per_theme.avg_score,
    examples.example_comment_id,
    examples.example_text_excerpt

from per_theme
inner join content_totals
    on per_theme.content_key = content_totals.content_key
left join examples
    on
        per_theme.content_key = examples.content_key
        and per_theme.theme = examples.theme
        and per_theme.language is not distinct from examples.language

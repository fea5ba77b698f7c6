-- Per content, theme and language: how many comments carry the theme, their share of ALL the
-- content's comments (a comment can have several themes, so shares of a content do not sum to
-- 1), their likes, and one example: the highest-scoring, then most-liked, then earliest
-- (lowest position) comment.

with

content_totals as (

    select
        content_key,
        count(*) as content_comments

    from {{ ref('fct_comments') }}
    group by content_key

),

themed_comments as (

    select
        comments.content_key,
        comments.platform,
        comments.content_id,
        comments.comment_id,
        comments.language,
        comments.like_count,
        comments.comment_text,
        comment_themes.theme,
        comment_themes.score,
        row_number() over (
            partition by comments.content_key, comment_themes.theme, comments.language
            order by
                comment_themes.score desc,
                comments.like_count desc nulls last,
                comments.position asc nulls last,
                comments.comment_id asc
        ) as example_rank

    from {{ ref('int_comment_themes') }} as comment_themes
    inner join {{ ref('fct_comments') }} as comments
        on
            comment_themes.platform = comments.platform
            and comment_themes.content_id = comments.content_id
            and comment_themes.comment_id = comments.comment_id

),

per_theme as (

    select
        content_key,
        platform,
        content_id,
        theme,
        language,
        count(*) as comments,
        sum(like_count) as likes_total,
        avg(score) as avg_score,
        any_value(comment_id) filter (where example_rank = 1) as example_comment_id,
        any_value(left(comment_text, 280)) filter (
            where example_rank = 1
        ) as example_text_excerpt

    from themed_comments
    group by content_key, platform, content_id, theme, language

)

select
    per_theme.content_key,
    per_theme.platform,
    per_theme.content_id,
    per_theme.theme,
    per_theme.language,
    per_theme.comments,
    cast(per_theme.comments as double)
    / content_totals.content_comments as share_of_content_comments,
    per_theme.likes_total,
    per_theme.avg_score,
    per_theme.example_comment_id,
    per_theme.example_text_excerpt

from per_theme
inner join content_totals
    on per_theme.content_key = content_totals.content_key

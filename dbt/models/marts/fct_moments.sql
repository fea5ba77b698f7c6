-- The moments of a video its commenters point at: one row per content and second that at least
-- one NON-SPAM comment mentions ("3:13" -> 193; see int_comment_moments for what counts as a
-- timestamp). mentions = comments that mention it (a comment counts once per moment, and
-- mentions every moment it names), with their likes and one example: the most-liked, then
-- earliest (lowest position) comment.
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

moment_comments as (

    select
        comments.content_key,
        comments.platform,
        comments.content_id,
        moments.moment_second,
        comments.comment_id,
        comments.like_count,
        comments.comment_text,
        comments.position

    from {{ ref('int_comment_moments') }} as moments
    inner join {{ ref('fct_comments') }} as comments
        on
            moments.platform = comments.platform
            and moments.content_id = comments.content_id
            and moments.comment_id = comments.comment_id
    where
        not comments.is_spam
        and {{ touched_only(['content_key'], 'int_contents__touched', 'comments') }}

),

per_moment as (

    select
        content_key,
        platform,
        content_id,
        moment_second,
        count(*) as mentions,
        sum(like_count) as likes_total

    from moment_comments
    group by content_key, platform, content_id, moment_second

),

-- the example of each moment: its first comment by example_comment_order
examples as (

    select
        content_key,
        moment_second,
        comment_id as example_comment_id,
        left(comment_text, 280) as example_text_excerpt

    from moment_comments
    qualify row_number() over (
        partition by content_key, moment_second
        order by {{ example_comment_order() }}
    ) = 1

)

select
    per_moment.content_key,
    per_moment.platform,
    per_moment.content_id,
    per_moment.moment_second as second,  -- noqa: RF04
    case
        when per_moment.moment_second >= 3600
            then printf(
                '%d:%02d:%02d',
                per_moment.moment_second // 3600,
                per_moment.moment_second % 3600 // 60,
                per_moment.moment_second % 60
            )
        else printf(
            '%d:%02d', per_moment.moment_second // 60, per_moment.moment_second % 60
        )
    end as moment_label,
    per_moment.mentions,
    per_moment.likes_total,
    examples.example_comment_id,
    examples.example_text_excerpt

from per_moment
inner join examples
    on
        per_moment.content_key = examples.content_key
        and per_moment.moment_second = examples.moment_second

-- Engagement per content. Contents without comments have comments = 0.
-- unique_authors is NULL (unknown), not 0, when none of the content's comments has an author:
-- scraped pages carry no authors, and 0 would read as "nobody commented".
-- likes_total / likes_median are NULL when no comment has a like count, for the same reason.

with

per_content as (

    select
        content_key,
        count(*) as comments,
        count(*) filter (where not is_reply) as top_level_comments,
        count(*) filter (where is_reply) as replies,
        nullif(count(distinct coalesce(author_id, author_name)), 0) as unique_authors,
        sum(like_count) as likes_total,
        median(like_count) as likes_median,
        min(published_at) as first_comment_at,
        max(published_at) as last_comment_at

    from {{ ref('fct_comments') }}
    group by content_key

)

select
    contents.content_key,
    contents.platform,
    contents.content_id,
    contents.title,
    coalesce(per_content.comments, 0) as comments,
    coalesce(per_content.top_level_comments, 0) as top_level_comments,
    coalesce(per_content.replies, 0) as replies,
    per_content.unique_authors,
    per_content.likes_total,
    per_content.likes_median,
    per_content.first_comment_at,
    per_content.last_comment_at

from {{ ref('dim_contents') }} as contents
left join per_content
    on contents.content_key = per_content.content_key

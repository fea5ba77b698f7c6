-- Engagement per content per UTC day, for comments whose publication time is known (scraped
-- pages have none: their comments are in engagement_by_content but on no day here).

select
    content_key,
    platform,
    content_id,
    cast(timezone('UTC', published_at) as date) as comment_date,
    count(*) as comments,
    count(*) filter (where not is_reply) as top_level_comments,
    count(*) filter (where is_reply) as replies,
    nullif(count(distinct coalesce(author_id, author_name)), 0) as unique_authors,
    sum(like_count) as likes_total

from {{ ref('fct_comments') }}
where published_at is not null
group by content_key, platform, content_id, comment_date

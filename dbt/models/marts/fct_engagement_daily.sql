-- Engagement per content per UTC day, for comments whose publication time is known (scraped
-- pages have none: their comments are in fct_engagement_by_content but on no day here). Like
-- fct_engagement_by_content, the counts are over non-spam comments; spam_comments apart.
--
-- Incremental: a build recomputes the touched contents (int_contents__touched) only.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_touched',
    touched='int_contents__touched',
    unique_key='content_key'
) }}
-- depends_on: {{ ref('int_contents__touched') }}

select
    content_key,
    platform,
    content_id,
    cast(timezone('UTC', published_at) as date) as comment_date,
    count(*) filter (where not is_spam) as comments,
    count(*) filter (where not is_spam and not is_reply) as top_level_comments,
    count(*) filter (where not is_spam and is_reply) as replies,
    count(*) filter (where is_spam) as spam_comments,
    nullif(
        count(distinct coalesce(author_id, author_name)) filter (where not is_spam), 0
    ) as unique_authors,
    sum(like_count) filter (where not is_spam) as likes_total

from {{ ref('fct_comments') }}
where published_at is not null and {{ touched_only(['content_key'], 'int_contents__touched') }}
group by content_key, platform, content_id, comment_date

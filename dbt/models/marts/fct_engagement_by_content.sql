-- Engagement per content, over its NON-SPAM comments (fct_comments.is_spam); the spam comments
-- are counted apart in spam_comments. Contents without comments have comments = 0.
-- unique_authors is NULL (unknown), not 0, when none of the counted comments has an author:
-- scraped pages carry no authors, and 0 would read as "nobody commented".
-- likes_total / likes_median are NULL when no counted comment has a like count, for the same
-- reason.
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

per_content as (

    select
        content_key,
        count(*) filter (where not is_spam) as comments,
        count(*) filter (where not is_spam and not is_reply) as top_level_comments,
        count(*) filter (where not is_spam and is_reply) as replies,
        count(*) filter (where is_spam) as spam_comments,
        nullif(
            count(distinct coalesce(author_id, author_name)) filter (where not is_spam), 0
        ) as unique_authors,
        sum(like_count) filter (where not is_spam) as likes_total,
        median(like_count) filter (where not is_spam) as likes_median,
        min(published_at) filter (where not is_spam) as first_comment_at,
        max(published_at) filter (where not is_spam) as last_comment_at

    from {{ ref('fct_comments') }}
    where {{ touched_only(['content_key'], 'int_contents__touched') }}
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
    coalesce(per_content.spam_comments, 0) as spam_comments,
    per_content.unique_authors,
    per_content.likes_total,
    per_content.likes_median,
    per_content.first_comment_at,
    per_content.last_comment_at

from {{ ref('dim_contents') }} as contents
left join per_content
    on contents.content_key = per_content.content_key
where {{ touched_only(['content_key'], 'int_contents__touched', 'contents') }}

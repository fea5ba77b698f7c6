-- Comments per content and detected language (`und` = undetermined). The shares of a content
-- sum to 1.

select
    content_key,
    platform,
    content_id,
    language,
    count(*) as comments,
    cast(count(*) as double)
    / sum(count(*)) over (partition by content_key) as share_of_comments,
    sum(like_count) as likes_total,
    avg(text_length) as avg_text_length,
    avg(language_confidence) as avg_language_confidence

from {{ ref('fct_comments') }}
group by content_key, platform, content_id, language

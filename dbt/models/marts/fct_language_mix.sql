-- Comments per content and detected language (`und` = undetermined), over NON-SPAM comments;
-- spam_comments counts the spam apart. The shares of a content sum to 1; they are NULL for a
-- content whose comments are all spam. language_detectors names the detector(s) behind the
-- labels (spam included): a content loaded twice with different detectors shows both, and
-- fct_language_confidence says how far to trust them.
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

per_language as (

    select
        content_key,
        platform,
        content_id,
        language,
        count(*) filter (where not is_spam) as comments,
        count(*) filter (where is_spam) as spam_comments,
        sum(like_count) filter (where not is_spam) as likes_total,
        avg(text_length) filter (where not is_spam) as avg_text_length,
        avg(language_confidence) filter (where not is_spam) as avg_language_confidence,
        list(distinct coalesce(language_detector, 'unknown') order by coalesce(
            language_detector, 'unknown'
        )) as language_detectors

    from {{ ref('fct_comments') }}
    where {{ touched_only(['content_key'], 'int_contents__touched') }}
    group by content_key, platform, content_id, language

)

select
    content_key,
    platform,
    content_id,
    language,
    comments,
    spam_comments,
    cast(comments as double)
    / nullif(sum(comments) over (partition by content_key), 0) as share_of_comments,
    likes_total,
    avg_text_length,
    avg_language_confidence,
    language_detectors

from per_language

-- Sentiment per content, detected language and UTC day of publication, over non-spam comments
-- (spam apart, like the other marts). comment_date is NULL for comments without a known time
-- (scraped pages): they form one row per content and language. Comments in a language the
-- lexicon does not cover count as `und_comments` (not judged), never as neutral.
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
    language,
    cast(timezone('UTC', published_at) as date) as comment_date,
    count(*) filter (where not is_spam) as comments,
    count(*) filter (where not is_spam and sentiment = 'positive') as positive_comments,
    count(*) filter (where not is_spam and sentiment = 'neutral') as neutral_comments,
    count(*) filter (where not is_spam and sentiment = 'negative') as negative_comments,
    count(*) filter (where not is_spam and sentiment = 'und') as und_comments,
    round(avg(sentiment_score) filter (where not is_spam), 4) as mean_sentiment_score,
    count(*) filter (where is_spam) as spam_comments

from {{ ref('fct_comments') }}
where {{ touched_only(['content_key'], 'int_contents__touched') }}
group by content_key, platform, content_id, language, comment_date

-- One row per comment: its most recent observation (int_comments__latest) with its themes and
-- its spam flag: spam_score sums the weights of the spam signals that fired
-- (int_comment_spam_signals), spam_reasons names them, is_spam = spam_score >=
-- var('spam_score_threshold'). The marts built on this table count non-spam comments by default.
-- sentiment / sentiment_score come from int_comment_sentiment (`und` / NULL where the language
-- has no lexicon).
--
-- Incremental: a build rewrites the touched comments (int_comments__touched: the observed ones
-- and those whose repeated_text signal they change).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='comment_key'
) }}
-- depends_on: {{ ref('int_comments__touched') }}

with

comment_themes as (

    select
        platform,
        content_id,
        comment_id,
        list(theme order by theme) as themes,
        count(*) as theme_count

    from {{ ref('int_comment_themes') }}
    where {{ touched_only(['platform', 'content_id', 'comment_id'], 'int_comments__touched') }}
    group by platform, content_id, comment_id

),

comment_spam as (

    select
        platform,
        content_id,
        comment_id,
        cast(sum(weight) as integer) as spam_score,
        list(spam_signal order by spam_signal) as spam_reasons

    from {{ ref('int_comment_spam_signals') }}
    where {{ touched_only(['platform', 'content_id', 'comment_id'], 'int_comments__touched') }}
    group by platform, content_id, comment_id

)

select
    {{ surrogate_key(['comments.platform', 'comments.content_id', 'comments.comment_id']) }}
        as comment_key,
    {{ surrogate_key(['comments.platform', 'comments.content_id']) }} as content_key,
    case
        when comments.parent_comment_id is not null
            then {{ surrogate_key([
                'comments.platform', 'comments.content_id', 'comments.parent_comment_id'
            ]) }}
    end as parent_comment_key,
    comments.platform,
    comments.content_id,
    comments.comment_id,
    comments.parent_comment_id,
    comments.author_id,
    comments.author_name,
    comments.comment_text,
    comments.published_at,
    comments.updated_at,
    comments.like_count,
    comments.reply_count,
    comments.position,
    comments.is_reply,
    comments.is_deleted,
    coalesce(comments.language, 'und') as language,
    comments.language_confidence,
    comments.language_detector,
    coalesce(comment_themes.themes, cast([] as varchar[])) as themes,
    coalesce(comment_themes.theme_count, 0) as theme_count,
    coalesce(comment_spam.spam_score, 0) >= {{ var('spam_score_threshold') }} as is_spam,
    coalesce(comment_spam.spam_score, 0) as spam_score,
    coalesce(comment_spam.spam_reasons, cast([] as varchar[])) as spam_reasons,
    coalesce(comment_sentiment.sentiment, 'und') as sentiment,
    comment_sentiment.sentiment_score,
    length(comments.comment_text) as text_length,
    comments.observation_count,
    comments.source_file,
    comments.load_id,
    comments.ingested_at

from {{ ref('int_comments__latest') }} as comments
left join comment_themes
    on
        comments.platform = comment_themes.platform
        and comments.content_id = comment_themes.content_id
        and comments.comment_id = comment_themes.comment_id
left join comment_spam
    on
        comments.platform = comment_spam.platform
        and comments.content_id = comment_spam.content_id
        and comments.comment_id = comment_spam.comment_id
left join {{ ref('int_comment_sentiment') }} as comment_sentiment
    on
        comments.platform = comment_sentiment.platform
        and comments.content_id = comment_sentiment.content_id
        and comments.comment_id = comment_sentiment.comment_id
where
    {{ touched_only(
        ['platform', 'content_id', 'comment_id'], 'int_comments__touched', 'comments'
    ) }}

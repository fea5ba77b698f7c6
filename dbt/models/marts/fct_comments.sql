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

-- themes and spam signals per comment as bits, not list() (macros/name_bits.sql: a list
-- aggregate per comment cannot spill and runs out of memory at millions of comments)
theme_positions as (

    {{ name_positions('theme', ref('int_comment_themes')) }}

),

spam_signal_positions as (

    {{ name_positions('spam_signal', ref('int_comment_spam_signals')) }}

),

comment_theme_bits as (

    select
        themes.platform,
        themes.content_id,
        themes.comment_id,
        {{ name_bits('theme_positions.bit') }} as theme_bits,
        count(*) as theme_count

    from {{ ref('int_comment_themes') }} as themes
    inner join theme_positions
        on themes.theme = theme_positions.name
    where {{ touched_only(['platform', 'content_id', 'comment_id'], 'int_comments__touched',
        alias='themes') }}
    group by themes.platform, themes.content_id, themes.comment_id

),

theme_names as (

    select list(name order by bit) as all_names
    from theme_positions

),

comment_themes as (

    select
        comment_theme_bits.platform,
        comment_theme_bits.content_id,
        comment_theme_bits.comment_id,
        {{ name_list('comment_theme_bits.theme_bits', 'theme_names.all_names') }} as themes,
        comment_theme_bits.theme_count

    from comment_theme_bits
    cross join theme_names

),

comment_spam_bits as (

    select
        signals.platform,
        signals.content_id,
        signals.comment_id,
        cast(sum(signals.weight) as integer) as spam_score,
        {{ name_bits('spam_signal_positions.bit') }} as spam_signal_bits

    from {{ ref('int_comment_spam_signals') }} as signals
    inner join spam_signal_positions
        on signals.spam_signal = spam_signal_positions.name
    where {{ touched_only(['platform', 'content_id', 'comment_id'], 'int_comments__touched',
        alias='signals') }}
    group by signals.platform, signals.content_id, signals.comment_id

),

spam_signal_names as (

    select list(name order by bit) as all_names
    from spam_signal_positions

),

comment_spam as (

    select
        comment_spam_bits.platform,
        comment_spam_bits.content_id,
        comment_spam_bits.comment_id,
        comment_spam_bits.spam_score,
        {{ name_list('comment_spam_bits.spam_signal_bits', 'spam_signal_names.all_names') }}
            as spam_reasons

    from comment_spam_bits
    cross join spam_signal_names

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

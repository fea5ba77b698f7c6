-- How far to trust the language split, per content and detector, plus one overall row per
-- detector (scope = 'all', no content). Over non-spam comments, like fct_language_mix.
-- * und: the detector gave no label (too few letters, or below its own threshold);
-- * low confidence: a label with confidence below var('language_low_confidence_below');
-- * trusted: the rest. median_confidence is over the labelled (not und) comments.
-- A small content, a high share_und or a low share_trusted: read its fct_language_mix with care.

with

comments as (

    select
        content_key,
        platform,
        content_id,
        coalesce(language_detector, 'unknown') as language_detector,
        language,
        language_confidence

    from {{ ref('fct_comments') }}
    where not is_spam

),

-- one pass: per content and detector, and per detector over everything (scope 'all')
combined as (

    select
        case when grouping(content_key) = 0 then 'content' else 'all' end as scope,
        content_key,
        platform,
        content_id,
        language_detector,
        count(*) as comments,
        count(*) filter (where language = 'und') as und_comments,
        count(*) filter (
            where language != 'und'
            and language_confidence < {{ var('language_low_confidence_below') }}
        ) as low_confidence_comments,
        count(distinct language) filter (where language != 'und') as languages,
        median(language_confidence) filter (where language != 'und') as median_confidence

    from comments
    group by grouping sets (
        (content_key, platform, content_id, language_detector),
        (language_detector)
    )

)

select
    scope,
    content_key,
    platform,
    content_id,
    language_detector,
    comments,
    und_comments,
    low_confidence_comments,
    cast(und_comments as double) / comments as share_und,
    cast(low_confidence_comments as double) / comments as share_low_confidence,
    cast(comments - und_comments - low_confidence_comments as double)
    / comments as share_trusted,
    languages,
    median_confidence,
    cast({{ var('language_low_confidence_below') }} as double) as low_confidence_below

from combined

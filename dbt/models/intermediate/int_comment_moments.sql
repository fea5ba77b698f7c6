-- One row per (comment, moment): each point of the video a comment refers to with a timestamp,
-- `m:ss` (3:13 -> 193 s) or `h:mm:ss` (1:02:45 -> 3765 s). A comment can mention several
-- moments; the same moment twice in one comment counts once.
--
-- Keep it simple, and say what is not caught:
-- * seconds must be < 60, and minutes < 60 in the h:mm:ss form ("10:75" is no moment);
-- * a time followed by am/pm or "Uhr" is a clock time, not a moment ("at 12:30 pm");
-- * a time glued to more digits or colons ("3:405", "1:02:45:10") is no moment;
-- * other clock times ("see you at 12:30"), scores and verses ("John 3:16") still count.
-- Timestamps YouTube renders as links keep their text (the readers turn HTML into text).
--
-- Incremental: a build reads the touched comments (int_comments__touched) only.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_touched',
    touched='int_comments__touched',
    unique_key=['platform', 'content_id', 'comment_id']
) }}
-- depends_on: {{ ref('int_comments__touched') }}

with

comments as (

    select
        platform,
        content_id,
        comment_id,
        lower(comment_text) as plain_text

    from {{ ref('int_comments__latest') }}
    where
        comment_text like '%:%'
        and {{ touched_only(['platform', 'content_id', 'comment_id'], 'int_comments__touched') }}

),

-- A candidate is a timestamp preceded by the start or by a character that is neither a digit
-- nor a colon, with what follows it when that would disqualify it: one more digit or colon
-- (only one: the separator after a candidate stays free for the next one, "3:40-4:11"), or
-- an am/pm/Uhr suffix. Candidates with such a tail are dropped below.
candidates as (

    select
        platform,
        content_id,
        comment_id,
        unnest(regexp_extract_all(
            plain_text,
            '(?:^|[^0-9:])((?:[0-9]{1,2}:[0-9]{2}:[0-9]{2}|[0-9]{1,2}:[0-9]{2})'
            || '(?:[0-9:]|\s*[ap]\.?m\b\.?|\s*uhr\b)?)',
            1
        )) as token

    from comments

),

parsed as (

    select
        platform,
        content_id,
        comment_id,
        token,
        string_split(token, ':') as parts

    from candidates
    where regexp_full_match(token, '[0-9]{1,2}:[0-9]{2}:[0-9]{2}|[0-9]{1,2}:[0-9]{2}')

),

seconds as (

    select
        platform,
        content_id,
        comment_id,
        token,
        case
            when
                len(parts) = 3
                and cast(parts[2] as integer) < 60
                and cast(parts[3] as integer) < 60
                then
                    cast(parts[1] as integer) * 3600
                    + cast(parts[2] as integer) * 60
                    + cast(parts[3] as integer)
            when
                len(parts) = 2
                and cast(parts[2] as integer) < 60
                then cast(parts[1] as integer) * 60 + cast(parts[2] as integer)
        end as moment_second

    from parsed

)

select
    platform,
    content_id,
    comment_id,
    moment_second,
    min(token) as timestamp_text,
    cast(count(*) as integer) as mentions_in_comment

from seconds
where moment_second is not null
group by platform, content_id, comment_id, moment_second

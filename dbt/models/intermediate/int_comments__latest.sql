-- One row per comment (platform, content_id, comment_id): its most recent observation.
-- A comment is observed once per dump that carries it (overlapping scrapes, a refetch with new
-- like counts). The newest observation wins: the latest edit/scrape time the source reports,
-- else the load time; then the later load; then the first source file by name, so the choice is
-- deterministic when two files of one load report the same time.

with

comments as (

    select * from {{ ref('stg_comments__comments') }}

),

ranked as (

    select
        *,
        count(*) over (
            partition by platform, content_id, comment_id
        ) as observation_count,
        row_number() over (
            partition by platform, content_id, comment_id
            order by
                coalesce(updated_at, retrieved_at, ingested_at) desc,
                ingested_at desc,
                source_file asc
        ) as observation_rank

    from comments

)

select
    platform,
    content_id,
    comment_id,
    parent_comment_id,
    author_id,
    author_name,
    comment_text,
    language,
    language_detector,
    like_count,
    reply_count,
    position,
    language_confidence,
    is_reply,
    is_deleted,
    published_at,
    updated_at,
    retrieved_at,
    observation_count,
    source_file,
    record_number,
    load_id,
    ingested_at

from ranked
where observation_rank = 1

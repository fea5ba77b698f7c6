-- One row per content (video, post, page). A content known only through its comments (its own
-- record was in a file that failed to load) still gets a row, with has_content_record = false, so
-- that every comment has its content. Incremental: a build rewrites the touched contents
-- (int_contents__touched).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='content_key'
) }}
-- depends_on: {{ ref('int_contents__touched') }}

with

content_keys as (

    select
        platform,
        content_id
    from {{ ref('int_contents__latest') }}
    where {{ touched_only(['platform', 'content_id'], 'int_contents__touched') }}

    union

    select
        platform,
        content_id
    from {{ ref('int_comments__latest') }}
    where {{ touched_only(['platform', 'content_id'], 'int_contents__touched') }}

)

select
    {{ surrogate_key(['content_keys.platform', 'content_keys.content_id']) }} as content_key,
    content_keys.platform,
    content_keys.content_id,
    contents.title,
    contents.description,
    contents.url,
    contents.channel,
    contents.published_at,
    contents.platform is not null as has_content_record,
    coalesce(contents.observation_count, 0) as observation_count,
    contents.first_ingested_at,
    contents.last_ingested_at,
    contents.latest_source_file,
    contents.latest_load_id

from content_keys
left join {{ ref('int_contents__latest') }} as contents
    on
        content_keys.platform = contents.platform
        and content_keys.content_id = contents.content_id

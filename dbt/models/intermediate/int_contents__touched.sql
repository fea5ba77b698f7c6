-- The contents whose rows a build rewrites: those the unbuilt loads observed (their own
-- records) and those of the touched comments (every per-content mart counts them).

with

content_keys as (

    select
        contents.platform,
        contents.content_id

    from {{ ref('stg_comments__contents') }} as contents
    where
        contents.load_id in (
            select unbuilt.load_id from {{ ref('int_loads__unbuilt') }} as unbuilt
        )

    union

    select
        touched.platform,
        touched.content_id

    from {{ ref('int_comments__touched') }} as touched

)

select
    {{ surrogate_key(['platform', 'content_id']) }} as content_key,
    platform,
    content_id

from content_keys

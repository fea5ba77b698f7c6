-- The comments the unbuilt loads observed (new comments, and re-exports of older ones):
-- int_comments__latest recomputes their most recent observation from all of theirs. Empty
-- under --full-refresh, where nothing reads it.

select distinct
    comments.platform,
    comments.content_id,
    comments.comment_id

from {{ ref('stg_comments__comments') }} as comments
where
    comments.load_id in (
        select unbuilt.load_id from {{ ref('int_loads__unbuilt') }} as unbuilt
    )
    and not {{ building_whole() | string | lower }}

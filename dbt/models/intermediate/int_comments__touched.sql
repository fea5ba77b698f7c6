-- The comments whose rows a build rewrites downstream of int_comments__latest: the observed
-- ones, and every comment whose `repeated_text` spam signal they can change. That signal counts
-- the same normalized text over the whole warehouse, so a new copy of a text changes the flag
-- (and the evidence) of the OLD comments with that text, and a re-export that edits a text
-- changes the group it left. Hence: every comment whose normalized text is the text of ANY
-- observation (old or new) of an observed comment. A comment outside the observed ones did not
-- change, so its stored normalized_text is current.

with

observed as (

    select * from {{ ref('int_comments__observed') }}

),

-- the texts the observed comments had or have: any of their observations was, or is, the latest
texts as (

    select
        {{ comment_normalized_text('comments.comment_text') }} as normalized_text

    from {{ ref('stg_comments__comments') }} as comments
    where
        comments.comment_text is not null
        and (comments.platform, comments.content_id, comments.comment_id) in (
            select
                observed.platform,
                observed.content_id,
                observed.comment_id
            from observed
        )
    group by normalized_text

),

same_text as (

    select
        latest.platform,
        latest.content_id,
        latest.comment_id

    from {{ ref('int_comments__latest') }} as latest
    where
        length(latest.normalized_text) >= {{ var('spam_repeated_text_min_length') }}
        and latest.normalized_text in (select texts.normalized_text from texts)

)

select
    platform,
    content_id,
    comment_id

from observed

union

select
    platform,
    content_id,
    comment_id

from same_text

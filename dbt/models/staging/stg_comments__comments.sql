with

source as (

    select * from {{ source('comments', 'comments') }}

),

renamed as (

    select

        ----------  ids
        platform,
        content_id,
        comment_id,
        parent_comment_id,
        author_id,

        ----------  text
        author_name,
        text as comment_text,
        language,
        language_detector,

        ----------  numerics
        like_count,
        reply_count,
        position,
        language_confidence,

        ----------  booleans
        is_deleted,
        parent_comment_id is not null as is_reply,

        ----------  timestamps
        published_at,
        updated_at,
        retrieved_at,

        ----------  provenance
        source_file,
        source_modified_at,
        record_number,
        load_id,
        ingested_at

    from source

)

select * from renamed

with

source as (

    select * from {{ source('comments', 'contents') }}

),

renamed as (

    select

        ----------  ids
        platform,
        content_id,

        ----------  text
        title,
        description,
        url,
        channel,

        ----------  timestamps
        published_at,

        ----------  provenance
        source_file,
        load_id,
        ingested_at

    from source

)

select * from renamed

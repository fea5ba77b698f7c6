with

source as (

    select * from {{ source('comments', 'rejects') }}

),

renamed as (

    select

        ----------  ids
        source_file,
        record_number,
        load_id,

        ----------  text
        reason,
        raw_excerpt,

        ----------  timestamps
        rejected_at

    from source

)

select * from renamed

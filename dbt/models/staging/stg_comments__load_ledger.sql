with

source as (

    select * from {{ source('comments', 'load_ledger') }}

),

renamed as (

    select

        ----------  ids
        source_file,
        sha256,
        load_id,

        ----------  text
        format as file_format,
        status,
        error as error_message,

        ----------  numerics
        rows_loaded,
        rows_rejected,
        size_bytes,

        ----------  timestamps
        loaded_at,
        source_modified_at

    from source

)

select * from renamed

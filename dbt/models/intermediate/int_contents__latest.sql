-- One row per content (platform, content_id), each attribute taken from the most recent
-- observation that has a value for it: a later ytcd dump carries no title, an earlier API export
-- does, and the title must survive. "Most recent" is the file's modification time (from the load
-- ledger; contents carry no edit or scrape time of their own), then the load time, then the
-- first source file by name: the same order whether the files came in one run or day by day.
-- DuckDB's any_value skips nulls and follows its order by.
--
-- Incremental: a build recomputes the touched contents (int_contents__touched) from all their
-- records.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['platform', 'content_id']
) }}
-- depends_on: {{ ref('int_contents__touched') }}
{%- set newest_first = 'observed_at desc, ingested_at desc, source_file asc' %}

with

contents as (

    select
        contents.*,
        coalesce(ledger.source_modified_at, contents.ingested_at) as observed_at
    from {{ ref('stg_comments__contents') }} as contents
    left join {{ ref('stg_comments__load_ledger') }} as ledger
        on
            contents.source_file = ledger.source_file
            and contents.load_id = ledger.load_id
    where {{ touched_only(['platform', 'content_id'], 'int_contents__touched', 'contents') }}

),

latest as (

    select
        platform,
        content_id,
        {%- for column in ['title', 'description', 'url', 'channel', 'published_at'] %}
        any_value({{ column }} order by {{ newest_first }}) as {{ column }},
        {%- endfor %}
        first(source_file order by {{ newest_first }}) as latest_source_file,
        first(load_id order by {{ newest_first }}) as latest_load_id,
        count(*) as observation_count,
        min(ingested_at) as first_ingested_at,
        max(ingested_at) as last_ingested_at

    from contents
    group by platform, content_id

)

select * from latest

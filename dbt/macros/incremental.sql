{#
    How the marts cost what a day brings. Every incremental model recomputes the rows of the
    keys a build touches from the complete state upstream, and replaces those keys' rows:

    - int_loads__unbuilt: the loads not built yet (all of them on a first build or under
      --full-refresh);
    - int_comments__observed: the comments those loads observed (new ones, re-exports);
    - int_comments__touched: those, plus every comment whose `repeated_text` spam signal they can
      change (the same normalized text as any observation of an observed comment);
    - int_contents__touched: the contents of the touched comments and the contents those loads
      observed;
    - int_loads__built, built last, records the loads once everything built from them.

    Recomputing a key is idempotent, so a failed build loses nothing: int_loads__built is not
    written, and the next build touches the same keys again. --full-refresh rebuilds every
    model from scratch and must give the same tables (tests/test_dbt_incremental.py).
#}


{#
    get_incremental_replace_touched_sql: the incremental strategy `replace_touched`. Deletes the
    rows of every key of the model's `touched` model (config `touched`, key columns `unique_key`),
    then inserts the new rows. Unlike delete+insert, a key that has no row any more (a comment
    that lost its only theme, a content day whose comments moved) loses its old rows too.
#}
{% macro get_incremental_replace_touched_sql(arg_dict) -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set touched = config.get('touched') -%}
    {%- if not keys or not touched -%}
        {{ exceptions.raise_compiler_error(
            'replace_touched needs unique_key (the key columns) and touched (a model name)'
        ) }}
    {%- endif -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }} as existing
    using (select distinct {{ keys | join(', ') }} from {{ ref(touched) }}) as touched
    where
    {%- for key in keys %}
        existing.{{ key }} = touched.{{ key }}{{ ' and' if not loop.last }}
    {%- endfor %};

    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }};

    {{ drop_incremental_temp_table(arg_dict) }}
{%- endmacro %}


{#
    delete+insert as dbt writes it, then the temp table dropped (see
    drop_incremental_temp_table).
#}
{% macro duckdb__get_incremental_delete_insert_sql(arg_dict) -%}
    {{ default__get_incremental_delete_insert_sql(arg_dict) }};

    {{ drop_incremental_temp_table(arg_dict) }}
{%- endmacro %}


{#
    drop_incremental_temp_table(arg_dict): dbt-duckdb builds an incremental model's new rows in
    a temporary table and leaves it for the rest of the dbt session, so each model's touched
    rows stayed in DuckDB's memory until the build ended. At 10M comments a day's build ran out
    of the 700MB memory_limit in int_content_terms, dim_contents and six mart tests, where the
    full refresh before it (no temp tables) passed. Dropping these tables did not fix that
    (re-measured); they are dropped anyway, as memory the build no longer needs.
#}
{% macro drop_incremental_temp_table(arg_dict) -%}
    drop table if exists {{ arg_dict['temp_relation'] }}
{%- endmacro %}


{#
    touched_only(keys, touched, alias=none): in an incremental build, the condition "these key
    columns (of `alias`, if given) are a key of the `touched` model"; `true` when the model is
    built whole. The model declares the
    dependency with `-- depends_on: {{ ref('<touched>') }}` (refs inside is_incremental() are
    not seen when dbt parses).
#}
{% macro touched_only(keys, touched, alias=none) -%}
    {%- if is_incremental() -%}
        {%- set prefix = alias ~ '.' if alias else '' -%}
        ({{ prefix ~ keys | join(', ' ~ prefix) }}) in (
            select {{ keys | join(', ') }} from {{ ref(touched) }}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#
    building_whole(): true in a `dbt build --full-refresh`, where every incremental model is
    rebuilt from scratch: the touched sets are not read then, and are left empty rather than
    paying a regex pass over every observation.
#}
{% macro building_whole() -%}
    {{ return(execute is sameas true and flags.FULL_REFRESH) }}
{%- endmacro %}

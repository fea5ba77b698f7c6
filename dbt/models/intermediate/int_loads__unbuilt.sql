-- The loads of the ledger whose rows the incremental models have not built yet: all of them on
-- a first build and under --full-refresh, else those int_loads__built does not list.
-- int_loads__built is read as the state the last successful build left (not a ref: it is
-- built after everything else, from this model).
{%- set built = none %}
{%- if execute is sameas true and not building_whole() %}
    {%- set built = adapter.get_relation(this.database, this.schema, 'int_loads__built') %}
{%- endif %}

select distinct ledger.load_id

from {{ ref('stg_comments__load_ledger') }} as ledger
{%- if built is not none %}
where ledger.load_id not in (select built.load_id from {{ built }} as built)
{%- endif %}

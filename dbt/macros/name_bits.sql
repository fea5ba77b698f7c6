{#-
    Sorted lists of names per group that can spill to disk. DuckDB's list() aggregate keeps its
    state in memory (it cannot spill), so `list(theme order by theme)` grouped per comment runs
    out of memory_limit once there are millions of groups: 8M groups of two short names failed
    under 700MB. When the names are few (themes, spam signals), a group's set of names is one
    bit per name, and bit_or over a HUGEINT is a fixed-size state that spills.

    name_positions(column, relation): a CTE body, one row per distinct name of `column` in
    `relation` with its bit (0..126, in name order); more than 127 names fail the build.
    name_bits(bit): the aggregate over a group's rows joined to their name's position.
    name_list(bits, names): the group's names, sorted, from its bits; `names` is the list of
    every name in bit order (`list(name order by bit)` over the positions).
-#}
{% macro name_positions(column, relation) -%}
    select
        name,
        case
            when bit > 126
                then error('more than 127 distinct values of {{ column }} in {{ relation }}: '
                    || 'too many to keep as bits (macros/name_bits.sql)')
            else bit
        end as bit

    from (
        select
            {{ column }} as name,
            row_number() over (order by {{ column }}) - 1 as bit
        from (select distinct {{ column }} from {{ relation }}) as names
    ) as numbered
{%- endmacro %}

{% macro name_bits(bit) -%}
    bit_or(cast(1 as hugeint) << cast({{ bit }} as hugeint))
{%- endmacro %}

{% macro name_list(bits, names) -%}
    list_select(
        {{ names }},
        list_filter(
            range(1, len({{ names }}) + 1),
            lambda i: ({{ bits }} >> cast(i - 1 as hugeint)) & 1 = 1
        )
    )
{%- endmacro %}

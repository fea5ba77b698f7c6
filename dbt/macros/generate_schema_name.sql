{#
    Use a model's custom schema as-is (`stg`, `intermediate`, `marts`, `seeds`) instead of dbt's
    default `<target schema>_<custom schema>`: the warehouse has one environment per file, and
    BI tools and the publish step address `marts.<table>` directly.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

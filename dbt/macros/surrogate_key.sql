{#
    md5 of the columns joined by '|', e.g. comment_key = md5(platform|content_id|comment_id).
    The columns are natural keys (never null); a null would be skipped by concat_ws, so callers
    only pass not-null columns.
#}
{% macro surrogate_key(columns) -%}
    md5(concat_ws('|', {{ columns | join(', ') }}))
{%- endmacro %}

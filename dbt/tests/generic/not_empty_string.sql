{#- Fails for every row whose value is empty or only whitespace (nulls are not_null's job). -#}
{% test not_empty_string(model, column_name) %}

select {{ column_name }}

from {{ model }}
where trim({{ column_name }}) = ''

{% endtest %}

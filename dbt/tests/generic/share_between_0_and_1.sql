{#- Fails for every row whose share is null, negative or above 1. -#}
{% test share_between_0_and_1(model, column_name) %}

select {{ column_name }}

from {{ model }}
where
    {{ column_name }} is null
    or {{ column_name }} < 0
    or {{ column_name }} > 1

{% endtest %}

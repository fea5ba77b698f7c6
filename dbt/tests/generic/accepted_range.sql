{#- Fails for every row outside [min_value, max_value] (either bound optional; nulls pass). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}

select {{ column_name }}

from {{ model }}
where
    ({{ (min_value is not none) | lower }} and {{ column_name }} < {{ min_value or 0 }})
    or ({{ (max_value is not none) | lower }} and {{ column_name }} > {{ max_value or 0 }})

{% endtest %}

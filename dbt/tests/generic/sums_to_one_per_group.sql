{#- Fails for every group whose shares do not add up to 1 (within a rounding tolerance). -#}
{% test sums_to_one_per_group(model, column_name, group_by) %}

select
    {{ group_by | join(', ') }},
    sum({{ column_name }}) as total_share

from {{ model }}
group by {{ group_by | join(', ') }}
having abs(sum({{ column_name }}) - 1) > 1e-9

{% endtest %}

{#
    example_comment(column, ranked_by=[]): in a `group by`, the value of `column` for the group's
    example comment: the first by `ranked_by` (e.g. ['score desc'], a theme's score), then the
    most-liked, then the earliest (lowest position), then the lowest comment_id. One rule for
    every mart that shows an example (fct_moments, fct_theme_summary); add `filter (where not is_spam)`
    where spam must not be the example. The grouped rows need like_count, position and
    comment_id.
#}
{% macro example_comment(column, ranked_by=[]) -%}
    first({{ column }} order by
        {%- for rank in ranked_by %} {{ rank }},{% endfor %}
        like_count desc nulls last, position asc nulls last, comment_id asc)
{%- endmacro %}

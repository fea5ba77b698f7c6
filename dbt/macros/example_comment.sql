{#
    example_comment_order(ranked_by=[]): the order that picks a group's example comment: first by
    `ranked_by` (e.g. ['score desc'], a theme's score), then the most-liked, then the earliest
    (lowest position), then the lowest comment_id. One rule for every mart that shows an example
    (fct_moments, fct_theme_summary): they keep row_number() = 1 of a window with this order
    over the group's comments (leave spam out before, where spam must not be the example). The
    rows need like_count, position and comment_id.

    A window, not an ordered aggregate (first(x order by ...)): an ordered aggregate keeps every
    group's rows in memory and cannot spill; at 10M comments fct_theme_summary's ran out of the
    700MB memory_limit, while a window's sort spills to temp_directory.
#}
{% macro example_comment_order(ranked_by=[]) -%}
    {%- for rank in ranked_by %}{{ rank }}, {% endfor -%}
    like_count desc nulls last, position asc nulls last, comment_id asc
{%- endmacro %}

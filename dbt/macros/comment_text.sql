{#
    comment_normalized_text(column): lower case, every run of non-letters/non-digits collapsed
    to one space, trimmed: the key of the "same text posted again" spam signal
    ("Check out this video on YouTube:" == "check out this video on youtube"). The text is
    already plain: HTML is turned into text once, when the dumps are read (normalize/html.py).
#}
{% macro comment_normalized_text(column) -%}
    trim(regexp_replace(lower({{ column }}), '[^\pL\pN]+', ' ', 'g'))
{%- endmacro %}

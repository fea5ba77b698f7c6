{#
    comment_plain_text(column): the comment as plain text for matching and tokenizing. Most
    readers already turn HTML into text, but a CSV export can carry the raw HTML of the YouTube
    API (`<a href="…&t=2m19s">2:19</a>`, `<br />`, `&#39;`): tags become a space, the five
    common entities their character. Only texts that contain `<` or `&` pay for the regex.
#}
{% macro comment_plain_text(column) -%}
    case
        when {{ column }} like '%<%' or {{ column }} like '%&%'
            then replace(replace(replace(replace(replace(replace(
                regexp_replace({{ column }}, '<[^>]*>', ' ', 'g'),
                '&quot;', '"'), '&#39;', ''''), '&lt;', '<'), '&gt;', '>'), '&nbsp;', ' '),
                '&amp;', '&')
        else {{ column }}
    end
{%- endmacro %}


{#
    comment_normalized_text(column): lower case, every run of non-letters/non-digits collapsed
    to one space, trimmed: the key of the "same text posted again" spam signal
    ("Check out this video on YouTube:" == "check out this video on youtube").
#}
{% macro comment_normalized_text(column) -%}
    trim(regexp_replace(lower({{ comment_plain_text(column) }}), '[^\pL\pN]+', ' ', 'g'))
{%- endmacro %}

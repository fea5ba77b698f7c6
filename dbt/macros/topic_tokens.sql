{#- fct_content_topics: whether a token counts (3+ characters, not only digits, not a stop word of
    the comment's language or English; for a language without a list, not a stop word of any
    language), and its light stem (a final "s" dropped from 5+ characters not ending in
    ss/is/us; int_content_terms relies on the stem dropping nothing but that one "s"). Plain
    string functions, not regular expressions: both run twice on every token. `stop_words` is
    the alias of the stop_words row joined on the token (NULL when it is none);
    `stop_word_languages` must be in scope. -#}
{% macro topic_token_is_valid(token, stop_words, language) -%}
    coalesce(
        length({{ token }}) >= 3
        and ltrim({{ token }}, '0123456789') <> ''
        and (
            {{ stop_words }}.word is null
            or not (
                list_contains({{ stop_words }}.languages, {{ language }})
                or list_contains({{ stop_words }}.languages, 'en')
                or {{ language }} not in (
                    select stop_word_languages.language from stop_word_languages
                )
            )
        ),
        false
    )
{%- endmacro %}

{% macro topic_stem(token) -%}
    case
        when
            length({{ token }}) >= 5
            and suffix({{ token }}, 's')
            and not (
                suffix({{ token }}, 'ss')
                or suffix({{ token }}, 'us')
                or suffix({{ token }}, 'is')
            )
            then left({{ token }}, -1)
        else {{ token }}
    end
{%- endmacro %}

{#- fct_content_topics: whether a token counts (3+ characters, not only digits, not a stop word of
    the comment's language or English; for a language without a list, not a stop word of any
    language), and its light stem (a final "s" dropped from 5+ characters not ending in
    ss/is/us). `stop_words` is the alias of the stop_words row joined on the token (NULL when it
    is none); `stop_word_languages` must be in scope. -#}
{% macro topic_token_is_valid(token, stop_words, language) -%}
    coalesce(
        length({{ token }}) >= 3
        and not regexp_full_match({{ token }}, '[0-9]+')
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
        when length({{ token }}) >= 5 and regexp_matches({{ token }}, '[^sui]s$')
            then left({{ token }}, -1)
        else {{ token }}
    end
{%- endmacro %}

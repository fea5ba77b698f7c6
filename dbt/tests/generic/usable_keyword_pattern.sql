{#- Fails for every keyword pattern (theme_keywords, spam_signals) that cannot be used as one:
    * it must compile as an RE2 regex (a broken pattern makes this test error);
    * not match the empty string (it would tag every comment);
    * be lower case, apart from \p{...} classes (comments are matched on lower-cased text);
    * not put a space inside a [...] class (spaces become \s+, see theme_alternation);
    * not use \pL / \p{L} (all letters of all scripts): inside a large alternation it makes RE2
      give up its fast DFA, and int_comment_themes becomes ~100x slower. Use \p{Latin}. -#}
{% test usable_keyword_pattern(model, column_name) %}

select *

from {{ model }}
where
    regexp_full_match('', {{ column_name }})
    or regexp_replace({{ column_name }}, '\\p(\{\w+\}|\w)', '', 'g')
    <> lower(regexp_replace({{ column_name }}, '\\p(\{\w+\}|\w)', '', 'g'))
    or regexp_matches({{ column_name }}, '\[[^\]]* [^\]]*\]')
    or regexp_matches({{ column_name }}, '\\p(L|\{L\})')

{% endtest %}

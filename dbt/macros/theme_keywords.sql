{#
    theme_keywords(): the rows of the `theme_keywords` seed as a list of
    {theme, pattern, weight} dicts, read at compile time.

    Why at compile time: DuckDB compiles a regular expression once per query only when the
    pattern is a constant. A pattern that comes from a join is recompiled for every row, which
    is orders of magnitude slower on millions of comments. So int_comment_themes inlines one
    literal regex per theme, built by theme_regex() from these rows.

    A pattern that appears for several languages of one theme is kept once, with its highest
    weight. Unit tests override this macro with a handful of rows (overrides: macros:).
#}
{% macro theme_keywords() %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select theme, pattern, max(weight) as weight
        from {{ ref('theme_keywords') }}
        group by theme, pattern
        order by theme, pattern
    {%- endset -%}
    {%- set rows = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do rows.append({'theme': row[0], 'pattern': row[1], 'weight': row[2] | int}) -%}
    {%- endfor -%}
    {{ return(rows) }}
{% endmacro %}


{#
    theme_alternation(patterns): the patterns as one RE2 alternation, without word boundaries.

    - A space in a pattern matches any run of whitespace, " ?" optional whitespace
      ("green ?screen"). Spaces inside a [...] class are not supported (a seed test checks).
    - Longer patterns come first, so "critical thinking" wins over a shorter alternative that
      starts at the same place. Duplicates are dropped; the order is deterministic.
#}
{% macro theme_alternation(patterns) -%}
    {%- set whitespace_run %}\s+{% endset -%}
    {%- set optional_whitespace %}\s*{% endset -%}
    {%- set distinct_patterns = patterns | unique | sort -%}
    {%- set longest = distinct_patterns | map('length') | max -%}
    {%- set alternatives = [] -%}
    {%- for size in range(longest or 0, 0, -1) -%}
        {%- for pattern in distinct_patterns if pattern | length == size -%}
            {%- set spaced = pattern.replace(' ?', optional_whitespace)
                .replace(' ', whitespace_run) -%}
            {%- do alternatives.append('(?:' ~ spaced ~ ')') -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(alternatives | join('|')) }}
{%- endmacro %}


{#
    theme_regex(patterns): one RE2 regex, as a SQL string literal, that matches any of
    `patterns` as whole words and captures the matched words in group 1.

    Word boundaries: RE2 has no lookbehind/lookahead, and its \b and [[:alpha:]] are ASCII-only,
    so with them "kost" would match inside "kostüm" and "\bübertrieben" would never match. We
    use the Unicode classes \pL (letter) and \pN (number) instead: (?:^|[^\pL\pN]) before and
    (?:[^\pL\pN]|$) after the word. Both consume one character, so int_comment_themes doubles
    every separator of the text first; two keywords one space apart are then both found.
    Inside patterns, inflection suffixes use \p{Latin}* rather than \pL*: a repeated \pL (all
    scripts) inside a large alternation blows RE2's DFA budget and the match falls back to a
    ~100x slower engine (a seed test forbids \pL in patterns).
#}
{% macro theme_regex(patterns) -%}
    {%- set word_start %}(?:^|[^\pL\pN]){% endset -%}
    {%- set word_end %}(?:[^\pL\pN]|$){% endset -%}
    {{ sql_string(word_start ~ '(' ~ theme_alternation(patterns) ~ ')' ~ word_end) }}
{%- endmacro %}


{# A Python/Jinja string as a SQL string literal (single quotes doubled). #}
{% macro sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}


{#
    theme_match_text(column): the text the theme regexes run on: lower case, and every run of
    separators doubled ("lol, hilarious" -> "lol, , hilarious") so that the word boundaries of
    theme_regex, which consume one character, never steal the boundary of the next word.
    Apostrophes and hyphens are not separators here: they occur inside keywords ("can't",
    "sia-sia").
#}
{% macro theme_match_text(column) -%}
    regexp_replace(lower({{ column }}), '[^\pL\pN''’-]+', '\0\0', 'g')
{%- endmacro %}


{#
    theme_regexes(keywords): [{theme, regex}] with one theme_regex() SQL literal per theme,
    themes in alphabetical order.
#}
{% macro theme_regexes(keywords) -%}
    {%- set result = [] -%}
    {%- for theme in keywords | map(attribute='theme') | unique | sort -%}
        {%- set patterns = keywords | selectattr('theme', 'equalto', theme)
            | map(attribute='pattern') | list -%}
        {%- do result.append({'theme': theme, 'regex': theme_regex(patterns)}) -%}
    {%- endfor -%}
    {{ return(result) }}
{%- endmacro %}


{#
    theme_weight_regexes(keywords): [{theme, weight, regex}], one full-match regex (SQL literal,
    no word boundaries) per theme and weight, the highest weight of a theme first: the first
    entry whose regex matches a matched word in full gives that word its weight.
#}
{% macro theme_weight_regexes(keywords) -%}
    {%- set result = [] -%}
    {%- for theme in keywords | map(attribute='theme') | unique | sort -%}
        {%- set of_theme = keywords | selectattr('theme', 'equalto', theme) | list -%}
        {%- for weight in of_theme | map(attribute='weight') | unique | sort(reverse=true) -%}
            {%- set patterns = of_theme | selectattr('weight', 'equalto', weight)
                | map(attribute='pattern') | list -%}
            {%- set regex = sql_string(theme_alternation(patterns)) -%}
            {%- do result.append({'theme': theme, 'weight': weight, 'regex': regex}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(result) }}
{%- endmacro %}

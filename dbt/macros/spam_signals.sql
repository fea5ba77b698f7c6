{#
    spam_signals(): the rows of the `spam_signals` seed as a list of {signal, pattern, weight}
    dicts, read at compile time, for the same reason as theme_keywords(): DuckDB compiles a
    constant regex once per query, a regex coming from a join once per row.

    A pattern listed for several languages of one signal is kept once, with its highest weight.
    Unit tests override this macro with a handful of rows (overrides: macros:); the SQL linter
    uses a stand-in defined in .sqlfluff.
#}
{% macro spam_signals() %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select signal, pattern, max(weight) as weight
        from {{ ref('spam_signals') }}
        group by signal, pattern
        order by signal, pattern
    {%- endset -%}
    {%- set rows = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do rows.append({'signal': row[0], 'pattern': row[1], 'weight': row[2] | int}) -%}
    {%- endfor -%}
    {{ return(rows) }}
{% endmacro %}


{#
    spam_signal_regexes(rows): one entry per signal, signals in alphabetical order:
    {signal, regex, weights}. `regex` (a SQL literal) matches any pattern of the signal as whole
    words (theme_regex: Unicode boundaries, a space matches any whitespace) and captures the
    first match, the evidence. `weights` is [{weight, regex}], highest weight first: the signal
    scores the highest weight whose patterns match the comment.
#}
{% macro spam_signal_regexes(rows) -%}
    {%- set result = [] -%}
    {%- for signal in rows | map(attribute='signal') | unique | sort -%}
        {%- set of_signal = rows | selectattr('signal', 'equalto', signal) | list -%}
        {%- set weights = [] -%}
        {%- for weight in of_signal | map(attribute='weight') | unique | sort(reverse=true) -%}
            {%- set patterns = of_signal | selectattr('weight', 'equalto', weight)
                | map(attribute='pattern') | list -%}
            {%- do weights.append({'weight': weight, 'regex': theme_regex(patterns)}) -%}
        {%- endfor -%}
        {%- set patterns = of_signal | map(attribute='pattern') | list -%}
        {%- do result.append({
            'signal': signal, 'regex': theme_regex(patterns), 'weights': weights
        }) -%}
    {%- endfor -%}
    {{ return(result) }}
{%- endmacro %}


{#
    spam_signal_weight(signal, column, matched=false): the score of one signal (an entry of
    spam_signal_regexes) on the text in `column`: the highest weight whose patterns match, else
    0. With matched=true the rows are already filtered on the signal's regex: a signal with one
    weight is then that weight (no second regex pass), and no `else` is needed.
    int_comment_spam_signals and tests/assert_spam_signals_match_examples.sql both score
    through this macro, so the test checks the rule the model applies.
#}
{% macro spam_signal_weight(signal, column, matched=false) -%}
    {%- if matched and signal.weights | length == 1 -%}
        {{ signal.weights[0].weight }}
    {%- else -%}
        case
            {%- for w in signal.weights %}
            when regexp_matches({{ column }}, {{ w.regex }}) then {{ w.weight }}
            {%- endfor %}
            {%- if not matched %}
            else 0
            {%- endif %}
        end
    {%- endif -%}
{%- endmacro %}


{#
    spam_match_text(column): what the spam patterns run on. The text (plain: HTML is turned
    into text when the dumps are read), lower case, and every link to a YouTube video rewritten to the word `youtube-video-link`:
    sharing a video is common in normal comments, so the seed can weigh it lower (signal
    video_link) than any other link (signal link), which RE2 alone, without lookahead, could
    not tell apart.
#}
{% macro spam_match_text(column) -%}
    regexp_replace(
        lower({{ column }}),
        '(?:https?://)?(?:www\.|m\.)?(?:youtube\.com/watch\?v=|youtu\.be/)[a-z0-9_-]+[^\s]*',
        ' youtube-video-link ',
        'g'
    )
{%- endmacro %}

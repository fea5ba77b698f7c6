-- Every pattern of the spam_signals seed must follow the theme_keywords rules (see
-- assert_theme_keywords_are_usable.sql): compile as RE2, not match the empty string, be lower
-- case apart from \p{...} classes, have no space inside [...], and not use \pL / \p{L}.

select
    signal,
    language,
    pattern

from {{ ref('spam_signals') }}
where
    regexp_full_match('', pattern)
    or regexp_replace(pattern, '\\p(\{\w+\}|\w)', '', 'g')
    <> lower(regexp_replace(pattern, '\\p(\{\w+\}|\w)', '', 'g'))
    or regexp_matches(pattern, '\[[^\]]* [^\]]*\]')
    or regexp_matches(pattern, '\\p(L|\{L\})')

-- Every pattern of the theme_keywords seed must:
-- * compile as an RE2 regex (a broken pattern makes this test error);
-- * not match the empty string (it would tag every comment);
-- * be lower case, apart from \p{...} classes (comments are matched on lower(text));
-- * not put a space inside a [...] class (spaces become \s+, see theme_alternation);
-- * not use \pL / \p{L} (all letters of all scripts): inside a large alternation it makes RE2
--   give up its fast DFA, and int_comment_themes becomes ~100x slower. Use \p{Latin}.

select
    theme,
    language,
    pattern

from {{ ref('theme_keywords') }}
where
    regexp_full_match('', pattern)
    or regexp_replace(pattern, '\\p(\{\w+\}|\w)', '', 'g')
    <> lower(regexp_replace(pattern, '\\p(\{\w+\}|\w)', '', 'g'))
    or regexp_matches(pattern, '\[[^\]]* [^\]]*\]')
    or regexp_matches(pattern, '\\p(L|\{L\})')

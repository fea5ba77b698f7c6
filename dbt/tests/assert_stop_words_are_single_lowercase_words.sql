-- Stop words are compared with lower-cased tokens split on every non-letter/non-digit
-- (fct_content_topics.sql): a word with a capital, a space or punctuation, or under 3 characters
-- (tokens that short are dropped anyway) would never be used.

select
    language,
    word

from {{ ref('stop_words') }}
where
    word <> lower(word)
    or not regexp_full_match(word, '[\pL\pN]{3,}')

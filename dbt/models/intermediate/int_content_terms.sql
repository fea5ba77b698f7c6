-- Per content (content_key) and term: how many of the content's non-spam comments use it, and
-- the term as shown (its most frequent surface form in the content). fct_content_topics turns these
-- into TF-IDF over the whole warehouse; see there for what a token and a term are. Terms used
-- by one comment only are kept: they count for the corpus (contents_with_term).
--
-- Incremental: a build recounts the touched contents (int_contents__touched) only. Tokens
-- are never joined with each other: a bigram is read off one row (a token and the next).
--
-- Every grouping below is on small integers (a number per content and per comment, the term
-- type as 0/1) instead of the 32-character content key, the comment id and 'unigram'/'bigram':
-- at 1M comments this model groups ~26M term uses twice, and the narrower keys took its build
-- from 134 s to 94 s (this query alone, 1M bench warehouse). The numbers live only in this
-- query; the output is the same rows.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_touched',
    touched='int_contents__touched',
    unique_key='content_key'
) }}
-- depends_on: {{ ref('int_contents__touched') }}

with

comments as (

    select
        content_key,
        language,
        regexp_replace(
            lower(comment_text),
            'https?://[^\s]+|www\.[^\s]+',
            ' ',
            'g'
        ) as topic_text

    from {{ ref('fct_comments') }}
    where
        not is_spam
        and comment_text is not null
        and {{ touched_only(['content_key'], 'int_contents__touched') }}

),

-- a number per content, only for this query (see above)
content_numbers as (

    select
        content_key,
        row_number() over () as content_number

    from (select distinct comments.content_key from comments) as contents

),

stop_words as (

    select
        word,
        list(distinct language) as languages

    from {{ ref('stop_words') }}
    group by word

),

stop_word_languages as (

    select distinct language from {{ ref('stop_words') }}

),

split_comments as (

    select
        content_numbers.content_number,
        row_number() over () as comment_number,
        comments.language,
        string_split_regex(comments.topic_text, '[^\pL\pN]+') as words

    from comments
    inner join content_numbers
        on comments.content_key = content_numbers.content_key

),

-- Each token with the token after it (NULL at the end): a bigram is read off one row, no
-- self-join of every token.
tokens as (

    select
        content_number,
        comment_number,
        language,
        unnest(words) as token,
        unnest(list_concat(words[2:], [null])) as next_token

    from split_comments

),

-- materialized: both the unigrams and the bigrams read it
classified as materialized (

    select
        tokens.content_number,
        tokens.comment_number,
        tokens.token,
        tokens.next_token,
        {{ topic_token_is_valid('tokens.token', 'token_stop_words', 'tokens.language') }}
            as token_is_valid,
        {{ topic_token_is_valid('tokens.next_token', 'next_stop_words', 'tokens.language') }}
            as next_is_valid,
        {{ topic_stem('tokens.token') }} as stem,
        {{ topic_stem('tokens.next_token') }} as next_stem

    from tokens
    left join stop_words as token_stop_words
        on tokens.token = token_stop_words.word
    left join stop_words as next_stop_words
        on tokens.next_token = next_stop_words.word

),

unigrams as (

    select
        content_number,
        comment_number,
        0 as is_bigram,
        stem as term_key,
        token as surface

    from classified
    where token_is_valid

),

-- two valid tokens next to each other in the comment
bigrams as (

    select
        content_number,
        comment_number,
        1 as is_bigram,
        stem || ' ' || next_stem as term_key,
        token || ' ' || next_token as surface

    from classified
    where token_is_valid and next_is_valid

),

term_uses as (

    select * from unigrams

    union all

    select * from bigrams

),

-- the most frequent surface form of each term in each content, ties alphabetically. A window,
-- not first(surface order by ...): an ordered aggregate over ~11M terms (1M comments) cannot
-- spill and ran out of DuckDB's memory_limit; the window's sort spills to temp_directory.
surfaces as (

    select
        content_number,
        is_bigram,
        term_key,
        surface as term

    from (
        select
            content_number,
            is_bigram,
            term_key,
            surface,
            count(*) as uses

        from term_uses
        group by content_number, is_bigram, term_key, surface
    ) as surface_uses
    qualify row_number() over (
        partition by content_number, is_bigram, term_key
        order by uses desc, surface asc
    ) = 1

),

comment_terms as (

    select distinct
        content_number,
        comment_number,
        is_bigram,
        term_key

    from term_uses

),

content_terms as (

    select
        content_number,
        is_bigram,
        term_key,
        count(*) as comments_with_term

    from comment_terms
    group by content_number, is_bigram, term_key

)

select
    content_numbers.content_key,
    case content_terms.is_bigram when 1 then 'bigram' else 'unigram' end as term_type,
    content_terms.term_key,
    surfaces.term,
    content_terms.comments_with_term

from content_terms
inner join surfaces
    on
        content_terms.content_number = surfaces.content_number
        and content_terms.is_bigram = surfaces.is_bigram
        and content_terms.term_key = surfaces.term_key
inner join content_numbers
    on content_terms.content_number = content_numbers.content_number

-- Per content (content_key) and term: how many of the content's non-spam comments use it, and
-- the term as shown (its most frequent surface form in the content). fct_content_topics turns these
-- into TF-IDF over the whole warehouse; see there for what a token and a term are. Terms used
-- by one comment only are kept: they count for the corpus (contents_with_term).
--
-- Incremental: a build recounts the touched contents (int_contents__touched) only. Tokens
-- are never joined with each other: a bigram is read off one row (a token and the next).
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
        platform,
        content_id,
        comment_id,
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
        content_key,
        comment_id,
        language,
        string_split_regex(topic_text, '[^\pL\pN]+') as words

    from comments

),

-- Each token with the token after it (NULL at the end): a bigram is read off one row, no
-- self-join of every token.
tokens as (

    select
        content_key,
        comment_id,
        language,
        unnest(words) as token,
        unnest(list_concat(words[2:], [null])) as next_token

    from split_comments

),

-- materialized: both the unigrams and the bigrams read it
classified as materialized (

    select
        tokens.content_key,
        tokens.comment_id,
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
        content_key,
        comment_id,
        'unigram' as term_type,
        stem as term_key,
        token as surface

    from classified
    where token_is_valid

),

-- two valid tokens next to each other in the comment
bigrams as (

    select
        content_key,
        comment_id,
        'bigram' as term_type,
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
        content_key,
        term_type,
        term_key,
        surface as term

    from (
        select
            content_key,
            term_type,
            term_key,
            surface,
            count(*) as uses

        from term_uses
        group by content_key, term_type, term_key, surface
    ) as surface_uses
    qualify row_number() over (
        partition by content_key, term_type, term_key
        order by uses desc, surface asc
    ) = 1

),

comment_terms as (

    select distinct
        content_key,
        comment_id,
        term_type,
        term_key

    from term_uses

),

content_terms as (

    select
        content_key,
        term_type,
        term_key,
        count(*) as comments_with_term

    from comment_terms
    group by content_key, term_type, term_key

)

select
    content_terms.content_key,
    content_terms.term_type,
    content_terms.term_key,
    surfaces.term,
    content_terms.comments_with_term

from content_terms
inner join surfaces
    on
        content_terms.content_key = surfaces.content_key
        and content_terms.term_type = surfaces.term_type
        and content_terms.term_key = surfaces.term_key

-- The distinctive terms of each content's comments against the whole warehouse: TF-IDF where a
-- content is a document. Top var('topic_top_n') unigrams and top var('topic_top_n') bigrams per
-- content (rank is per content and term_type, so bigrams are not crowded out by their own
-- words).
--
-- * Comments: non-spam, with text. URLs are dropped, the text is lower-cased and split on
--   every run of characters that are not letters or digits (string_split_regex; no Python).
-- * Tokens: 3+ characters, not only digits, not a stop word. Stop words (`stop_words` seed)
--   are those of the comment's detected language plus English (code-switching is common);
--   for `und` and for languages without a list, those of every language.
-- * Light stemming: a final "s" is dropped from tokens of 5+ characters that do not end in
--   ss/is/us (views -> view, videos -> video, planetas -> planeta); the term shown is the
--   most frequent surface form of the stem in the content. Nothing else is stemmed.
-- * Bigrams: two valid tokens next to each other in the comment.
-- * tf = comments_with_term / the content's comments (presence per comment: a word repeated
--   in one comment counts once); idf = ln((1 + contents) / (1 + contents_with_term)) + 1;
--   tfidf = tf * idf. Terms used by fewer than var('topic_min_comments') comments of the
--   content are left out (typos, one-off names). With one content in the warehouse, idf is 1
--   for every term and the ranking is by frequency alone.

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
    where not is_spam and comment_text is not null

),

content_sizes as (

    select
        content_key,
        count(*) as content_comments

    from comments
    group by content_key

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

-- the most frequent surface form of each term in each content, ties alphabetically
surfaces as (

    select
        content_key,
        term_type,
        term_key,
        first(surface order by uses desc, surface asc) as term

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
    group by content_key, term_type, term_key

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

),

corpus_terms as (

    select
        term_type,
        term_key,
        count(*) as contents_with_term

    from content_terms
    group by term_type, term_key

),

corpus as (

    select count(*) as contents from content_sizes

),

scored as (

    select
        content_terms.content_key,
        content_terms.term_type,
        surfaces.term,
        content_terms.comments_with_term,
        corpus_terms.contents_with_term,
        cast(content_terms.comments_with_term as double)
        / content_sizes.content_comments as share_of_comments,
        cast(content_terms.comments_with_term as double)
        / content_sizes.content_comments
        * (ln((1 + corpus.contents) / (1 + corpus_terms.contents_with_term)) + 1) as tfidf

    from content_terms
    inner join content_sizes
        on content_terms.content_key = content_sizes.content_key
    inner join corpus_terms
        on
            content_terms.term_type = corpus_terms.term_type
            and content_terms.term_key = corpus_terms.term_key
    inner join surfaces
        on
            content_terms.content_key = surfaces.content_key
            and content_terms.term_type = surfaces.term_type
            and content_terms.term_key = surfaces.term_key
    cross join corpus
    where content_terms.comments_with_term >= {{ var('topic_min_comments') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by content_key, term_type
            order by tfidf desc, comments_with_term desc, term asc
        ) as term_rank

    from scored

)

select
    ranked.content_key,
    contents.platform,
    contents.content_id,
    ranked.term_type,
    ranked.term_rank as rank,
    ranked.term,
    ranked.comments_with_term,
    ranked.share_of_comments,
    ranked.contents_with_term,
    ranked.tfidf

from ranked
inner join {{ ref('dim_contents') }} as contents
    on ranked.content_key = contents.content_key
where ranked.term_rank <= {{ var('topic_top_n') }}

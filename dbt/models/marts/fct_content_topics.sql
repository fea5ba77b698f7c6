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
--
-- A table over int_content_terms (incremental, per content): the idf of a term depends on every
-- content, so the ranking is redone each build, over the counted terms and no comment text.

with

content_terms as (

    select * from {{ ref('int_content_terms') }}

),

-- every content with a non-spam comment with text is a document, with or without a valid term
content_sizes as (

    select
        content_key,
        count(*) as content_comments

    from {{ ref('fct_comments') }}
    where not is_spam and comment_text is not null
    group by content_key

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
        content_terms.term,
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

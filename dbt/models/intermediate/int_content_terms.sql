-- Per content (content_key) and term: how many of the content's non-spam comments use it, and
-- the term as shown (its most frequent surface form in the content). fct_content_topics turns these
-- into TF-IDF over the whole warehouse; see there for what a token and a term are. Terms used
-- by one comment only are kept: they count for the corpus (contents_with_term).
--
-- Incremental: a build recounts the touched contents (int_contents__touched) only. Tokens
-- are never joined with each other: a bigram is read off one row (a token and the next).
--
-- The SQL is macros/content_terms.sql: the comments are counted in batches of whole contents,
-- one statement per batch (this model's select is the first, its post-hook inserts the rest, in
-- one transaction), so that each statement's aggregates hold one batch. Counted in one go,
-- ~260M term uses at 10M comments ran out of a 700MB memory_limit: DuckDB 1.5's hash aggregate
-- did not spill its text keys reliably. `topic_batch_comments` sets the batch size.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_touched',
    touched='int_contents__touched',
    unique_key='content_key',
    post_hook="{{ content_terms_later_batches(this) }}"
) }}
-- depends_on: {{ ref('int_contents__touched') }}
{{ content_terms_batch(0, content_terms_batches()) }}

{#
    int_content_terms, in batches. The model counts the terms of its comments in
    content_terms_batches() batches of whole contents (hash(content_key) % batches), one statement
    each: the model's own select is batch 0, and its post-hook inserts the others into the same
    table, in the same transaction. `dbt compile` and `dbt show` of the model show batch 0 only.

    One statement per batch, because DuckDB runs the arms of a UNION ALL side by side. Measured
    by hand on duckdb 1.5.5: 200,000 synthetic comments under a 100MB memory_limit failed as one
    select and as a 4-arm union, and built as 4 statements; the model's query at 10M comments
    (the 1M bench warehouse ten times over) took 420 s and 875 MB RSS as 20 statements, 515 s and
    1.2 GB as a 20-arm union, and ran out of the 700MB limit as one select.

    A batch holds whole contents, so it is "about" topic_batch_comments comments only when
    contents are many and small: one content with more comments than that is a batch of its own
    size, however large.
#}


{#- content_terms_batches(): how many batches, one per `topic_batch_comments` comments the build
    reads (all of fct_comments when built whole, the touched contents' comments in an incremental
    build), at least one. The model's select and its post-hook each count: the same number,
    because nothing writes to the warehouse while dbt builds (one writer). -#}
{% macro content_terms_batches() %}
    {%- if not execute -%}
        {{ return(1) }}
    {%- endif -%}
    {%- set query -%}
        select count(*) from {{ ref('fct_comments') }}
        where {{ touched_only(['content_key'], 'int_contents__touched') }}
    {%- endset -%}
    {%- set comments = run_query(query).columns[0].values()[0] | int -%}
    {%- set per_batch = var('topic_batch_comments') | int -%}
    {%- if per_batch < 1 -%}
        {{ exceptions.raise_compiler_error(
            'topic_batch_comments must be a positive number of comments, got '
            ~ var('topic_batch_comments')
        ) }}
    {%- endif -%}
    {{ return([1, (comments + per_batch - 1) // per_batch] | max) }}
{% endmacro %}


{#- content_terms_later_batches(relation): the inserts of batches 1.. into `relation` (the
    model's post-hook). -#}
{% macro content_terms_later_batches(relation) %}
    {%- set batches = content_terms_batches() -%}
    {%- for batch in range(1, batches) %}
        insert into {{ relation }}
            (content_key, term_type, term_key, term, comments_with_term)
        {{ content_terms_batch(batch, batches) }};
    {%- endfor %}
{% endmacro %}


{#- content_terms_batch(batch, batches): the rows of int_content_terms for the contents of one
    batch. Every grouping is on small integers where it can be (a number per content and per
    comment, the term type as 0/1); no token is read twice or sorted. -#}
{% macro content_terms_batch(batch, batches) %}
with

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

comments as (

    select
        comment_key,
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
        {%- if batches > 1 %}
        and hash(content_key) % {{ batches }} = {{ batch }}
        {%- endif %}

),

-- a number per content, only for this query: narrower keys to group on
content_numbers as (

    select
        content_key,
        row_number() over () as content_number

    from (select distinct comments.content_key from comments) as contents

),

-- A number per comment, numbered apart from the texts: `row_number() over ()` makes its
-- pipeline single-threaded, and this one only reads the keys.
comment_numbers as (

    select
        comment_key,
        row_number() over () as comment_number

    from comments

),

split_comments as (

    select
        content_numbers.content_number,
        comment_numbers.comment_number,
        comments.language,
        string_split_regex(comments.topic_text, '[^\pL\pN]+') as words

    from comments
    inner join content_numbers
        on comments.content_key = content_numbers.content_key
    inner join comment_numbers
        on comments.comment_key = comment_numbers.comment_key

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

classified as (

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

-- Each valid token as a unigram, and with the next token as a bigram when both are valid,
-- in one scan of the tokens (a union of two selects would hold `classified` whole).
-- term_form: which of the term's tokens the stem shortened, 0-3 (bit 1: the first token,
-- bit 0: the second token of a bigram, or a unigram's only token). The stem only ever drops
-- one final "s" (topic_stem), so the key and the form give back the surface as written.
term_uses as (

    select
        classified.content_number,
        classified.comment_number,
        term_types.is_bigram,
        case term_types.is_bigram
            when 0 then classified.stem
            else classified.stem || ' ' || classified.next_stem
        end as term_key,
        case term_types.is_bigram
            when 0 then (classified.stem <> classified.token)::utinyint
            else
                (classified.stem <> classified.token)::utinyint * 2
                + (classified.next_stem <> classified.next_token)::utinyint
        end as term_form

    from classified
    cross join (values (0), (1)) as term_types (is_bigram)
    where
        classified.token_is_valid
        and (term_types.is_bigram = 0 or classified.next_is_valid)

),

-- one row per comment and term, with the uses of each form
comment_terms as (

    select
        content_number,
        comment_number,
        is_bigram,
        term_key,
        count(*) filter (where term_form = 0) as form_0_uses,
        count(*) filter (where term_form = 1) as form_1_uses,
        count(*) filter (where term_form = 2) as form_2_uses,
        count(*) filter (where term_form = 3) as form_3_uses

    from term_uses
    group by content_number, comment_number, is_bigram, term_key

),

content_terms as (

    select
        content_number,
        is_bigram,
        term_key,
        count(*) as comments_with_term,
        sum(form_0_uses) as form_0_uses,
        sum(form_1_uses) as form_1_uses,
        sum(form_2_uses) as form_2_uses,
        sum(form_3_uses) as form_3_uses

    from comment_terms
    group by content_number, is_bigram, term_key

),

-- The term as shown: its most used surface form in the content, ties alphabetically. Form
-- order is alphabetical order ("cat" < "cats"; "cat dog" < "cat dogs" < "cats dog" <
-- "cats dogs"), so the first form with the most uses wins.
content_term_forms as (

    select
        *,
        case greatest(form_0_uses, form_1_uses, form_2_uses, form_3_uses)
            when form_0_uses then 0
            when form_1_uses then 1
            when form_2_uses then 2
            else 3
        end as shown_form

    from content_terms

)

select
    content_numbers.content_key,
    case content_term_forms.is_bigram when 1 then 'bigram' else 'unigram' end as term_type,
    content_term_forms.term_key,
    case
        when content_term_forms.is_bigram = 0
            then content_term_forms.term_key || repeat('s', content_term_forms.shown_form)
        else
            split_part(content_term_forms.term_key, ' ', 1)
            || repeat('s', content_term_forms.shown_form // 2)
            || ' '
            || split_part(content_term_forms.term_key, ' ', 2)
            || repeat('s', content_term_forms.shown_form % 2)
    end as term,
    content_term_forms.comments_with_term

from content_term_forms
inner join content_numbers
    on content_term_forms.content_number = content_numbers.content_number
{% endmacro %}

-- One row per (comment, spam signal) that fired, with its weight and the evidence. fct_comments
-- sums the weights into spam_score; is_spam = spam_score >= var('spam_score_threshold').
--
-- Pattern signals come from the `spam_signals` seed: read at compile time
-- (macros/spam_signals.sql) and inlined as ONE constant regex per signal, on the lower-cased
-- plain text with YouTube video links rewritten (spam_match_text). A signal scores the highest
-- weight among its patterns that match; several matches of one signal count once.
--
-- One signal is computed here, not in the seed: `repeated_text`. The same normalized text
-- (lower case, punctuation and whitespace collapsed) of at least
-- var('spam_repeated_text_min_length') characters, posted by at least
-- var('spam_repeated_text_min_authors') distinct authors or at least
-- var('spam_repeated_text_min_posts') times anywhere in the warehouse, is a copy-paste
-- campaign ("Check out this video on YouTube:") and weighs var('spam_repeated_text_weight').
--
-- One signal is learned: `classifier`, a logistic regression on word unigrams and bigrams
-- trained on the UCI YouTube Spam Collection (bench/themes/spam_model.py writes the seed
-- `spam_model_terms`: one weight per term plus a `(bias)` row). A comment's spam probability
-- is sigmoid(bias + the weights of its distinct terms); from
-- var('spam_classifier_min_probability') on it weighs 2 (spam together with another signal),
-- from var('spam_classifier_strong_probability') on 3; the evidence names the terms that
-- weighed most.
--
-- Platforms: the seed `spam_signal_platforms` (platform, signal, weight) overrides a signal's
-- weight on one platform; 0 turns it off there. A link, an e-mail address or a price is how
-- Hacker News job posts and Reddit citations are written, so those signals (and the
-- classifier, trained on YouTube music-video comments only) are off on `hackernews` and
-- `reddit`, the classifier also on `web`; platforms without a row keep the seed's weights.
--
-- Incremental: a build scores the touched comments (int_comments__touched: the observed ones
-- and every comment sharing a text with them) and counts repeated texts over the stored
-- normalized_text of the whole warehouse, without a regex pass over it.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_touched',
    touched='int_comments__touched',
    unique_key=['platform', 'content_id', 'comment_id']
) }}
-- depends_on: {{ ref('int_comments__touched') }}
{#- The seed is read with run_query (macros/spam_signals.sql); declare the dependency. #}
-- depends_on: {{ ref('spam_signals') }}

{%- set signals = spam_signal_regexes(spam_signals()) %}
{%- if execute and signals | length == 0 %}
    {{ exceptions.raise_compiler_error('The spam_signals seed is empty: no signal to match.') }}
{%- endif %}

with

comments as (

    select
        platform,
        content_id,
        comment_id,
        coalesce(author_id, author_name) as author,
        comment_text,
        normalized_text

    from {{ ref('int_comments__latest') }}
    where comment_text is not null

),

-- materialized: every signal below reads it, and preparing the texts costs a regex pass
prepared as materialized (

    select
        platform,
        content_id,
        comment_id,
        {{ spam_match_text('comment_text') }} as match_text,
        normalized_text

    from comments
    where {{ touched_only(['platform', 'content_id', 'comment_id'], 'int_comments__touched') }}

),

pattern_signals as (

    {%- for s in signals %}

    select
        platform,
        content_id,
        comment_id,
        '{{ s.signal }}' as spam_signal,
        {{ spam_signal_weight(s, 'match_text', matched=true) }} as weight,
        regexp_extract(match_text, {{ s.regex }}, 1) as evidence

    from prepared
    where regexp_matches(match_text, {{ s.regex }})
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

classifier_off as (

    select platform
    from {{ ref('spam_signal_platforms') }}
    where signal = 'classifier' and weight = 0

),

model_bias as (

    select coalesce(max(weight), 0) as bias
    from {{ ref('spam_model_terms') }}
    where term = '(bias)'

),

-- The model's terms, each with its place in the evidence order (heaviest first, ties by term):
-- a comment's evidence is its three terms that come first.
model_terms as (

    select
        term,
        weight,
        row_number() over (order by weight desc, term asc) as evidence_order

    from {{ ref('spam_model_terms') }}
    where term <> '(bias)'

),

-- The distinct words and word pairs of each comment, as bench/themes/spam_model.py trains on,
-- that the model weighs: a term it does not know adds nothing (the 1M bench warehouse: 50.3M
-- terms, 12.1M known).
comment_terms as (

    select
        comment_words.platform,
        comment_words.content_id,
        comment_words.comment_id,
        comment_words.term,
        model_terms.weight,
        model_terms.evidence_order

    from (
        select
            platform,
            content_id,
            comment_id,
            unnest(list_distinct(
                words || list_transform(
                    range(1, len(words)), lambda i: words[i] || ' ' || words[i + 1]
                )
            )) as term

        from (
            select
                platform,
                content_id,
                comment_id,
                string_split(normalized_text, ' ') as words

            from prepared
            where
                normalized_text <> ''
                and platform not in (select classifier_off.platform from classifier_off)
        ) as split_comments
    ) as comment_words
    inner join model_terms
        on comment_words.term = model_terms.term

),

-- One pass over the terms: the probability is a sum per comment and the evidence the three
-- terms first in evidence_order, min_by(term, evidence_order, 3): a bounded state per comment
-- that spills to temp_directory (measured at 1M comments under a 50MB memory_limit). An ordered
-- list() aggregate cannot spill and ran out of memory at a million YouTube comments; a
-- window ranking the terms of the scored comments read every term twice and cost 8 s of the
-- 13 s the classifier added to a 1M build.
classifier_scores as (

    select
        comment_terms.platform,
        comment_terms.content_id,
        comment_terms.comment_id,
        1 / (1 + exp(-(any_value(model_bias.bias) + sum(comment_terms.weight)))) as probability,
        min_by(comment_terms.term, comment_terms.evidence_order, 3) as top_terms

    from comment_terms
    cross join model_bias
    group by comment_terms.platform, comment_terms.content_id, comment_terms.comment_id
    having probability >= {{ var('spam_classifier_min_probability') }}

),

classifier_signals as (

    select
        platform,
        content_id,
        comment_id,
        'classifier' as spam_signal,
        case
            when probability >= {{ var('spam_classifier_strong_probability') }} then 3
            else 2
        end as weight,
        'p=' || round(probability, 2) || ': ' || array_to_string(top_terms, ', ') as evidence

    from classifier_scores

),

repeated_texts as (

    select
        normalized_text,
        count(*) as posts,
        count(distinct author) as authors

    from comments
    where
        length(normalized_text) >= {{ var('spam_repeated_text_min_length') }}
        and normalized_text in (select prepared.normalized_text from prepared)
    group by normalized_text
    having
        count(distinct author) >= {{ var('spam_repeated_text_min_authors') }}
        or count(*) >= {{ var('spam_repeated_text_min_posts') }}

),

repeated_signals as (

    select
        prepared.platform,
        prepared.content_id,
        prepared.comment_id,
        'repeated_text' as spam_signal,
        {{ var('spam_repeated_text_weight') }} as weight,
        'posted ' || repeated_texts.posts || ' times by '
        || repeated_texts.authors || ' authors' as evidence

    from prepared
    inner join repeated_texts
        on prepared.normalized_text = repeated_texts.normalized_text

),

signals as (

    select * from pattern_signals

    union all

    select * from repeated_signals

    union all

    select * from classifier_signals

),

weighted as (

    select
        signals.platform,
        signals.content_id,
        signals.comment_id,
        signals.spam_signal,
        coalesce(platform_weights.weight, signals.weight) as weight,
        signals.evidence

    from signals
    left join {{ ref('spam_signal_platforms') }} as platform_weights
        on
            signals.platform = platform_weights.platform
            and signals.spam_signal = platform_weights.signal

)

select
    platform,
    content_id,
    comment_id,
    spam_signal,
    cast(weight as integer) as weight,
    evidence

from weighted
where weight > 0

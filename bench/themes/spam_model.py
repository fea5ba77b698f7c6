"""Train the learned spam signal and write it as the dbt seed ``spam_model_terms.csv``.

    .venv/bin/python bench/themes/spam_model.py            # retrain on the five UCI files
    .venv/bin/python bench/themes/spam_model.py --check    # print what would change, write nothing

The model is a logistic regression on binary word unigrams and bigrams (scikit-learn), trained
on the UCI YouTube Spam Collection (``data/uci``). It ships as a seed of (term, weight) rows
plus one ``(bias)`` row, so scoring is a join in dbt (``int_comment_spam_signals``): no Python,
no model file to load at run time, and every weight is readable and editable by an analyst.
A comment's log-odds are the bias plus the weights of its distinct terms; the signal
``classifier`` fires from a probability of ``spam_classifier_min_probability`` on, and its
evidence names the terms that weighed most.

The UCI files are read by the pipeline's own CSV reader and text normalization (HTML to text,
``normalize.text``), and tokens are computed by DuckDB with the expression the dbt project uses
(``comment_normalized_text`` in ``dbt/macros/comment_text.sql``: lower case, every run of
non-letters/non-digits one space), so training and scoring see the same terms. Terms seen in
fewer than ``MIN_DF`` comments are dropped, and so are terms lighter than ``MIN_ABS_WEIGHT``.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa

from comment_etl.formats import csv_export
from comment_etl.formats.base import open_decompressed
from comment_etl.normalize.text import normalize_text
from comment_etl.records import Comment, SourceFile

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
UCI = HERE / "data" / "uci"
SEED = REPO / "dbt" / "seeds" / "spam_model_terms.csv"
BIAS = "(bias)"
MIN_DF = 2
#: Inverse regularisation strength: small enough that a term must recur in spam to weigh much.
C = 1.0
DECIMALS = 3
#: Terms lighter than this are left out of the seed (they barely move a score).
MIN_ABS_WEIGHT = 0.05

#: The dbt macro comment_normalized_text as a DuckDB expression on `t`.
NORMALIZED_SQL = r"trim(regexp_replace(lower(t), '[^\pL\pN]+', ' ', 'g'))"


def normalized_texts(texts: Sequence[str]) -> list[str]:
    """Each text as comment_normalized_text leaves it (computed by DuckDB, like in dbt)."""
    con = duckdb.connect()
    try:
        con.execute("create table texts (i integer, t varchar)")
        con.executemany("insert into texts values (?, ?)", list(enumerate(texts)))
        rows = con.execute(f"select i, {NORMALIZED_SQL} from texts order by i").fetchall()
    finally:
        con.close()
    return [normalized or "" for _, normalized in rows]


def terms_of(texts: Sequence[str]) -> list[list[str]]:
    """Distinct unigrams and bigrams of each text, as int_comment_spam_signals computes them."""
    result = []
    for normalized in normalized_texts(texts):
        words = normalized.split(" ") if normalized else []
        bigrams = [f"{a} {b}" for a, b in itertools.pairwise(words)]
        result.append(sorted(set(words) | set(bigrams)))
    return result


def read_uci(paths: Iterable[Path]) -> tuple[list[str], list[int]]:
    """(texts, labels) of UCI files (CLASS or `label` column, 1 = spam), each text as
    `staging.comments.text` holds it: the pipeline's CSV reader, then its normalization."""
    texts: list[str] = []
    labels: list[int] = []
    for path in paths:
        source = SourceFile(path=str(path), name=path.name)
        with open_decompressed(path) as stream:
            for record in csv_export.read(stream, source):
                if isinstance(record, Comment):
                    row = orjson.loads(record.raw or "{}")  # the whole row as read
                    texts.append(record.text or "")
                    labels.append(int(row.get("CLASS", row.get("label", "")).strip() == "1"))
    normalized = normalize_text(pa.array(texts, pa.string())).to_pylist()
    return [text or "" for text in normalized], labels


def train(texts: Sequence[str], labels: Sequence[int]) -> list[tuple[str, float]]:
    """Fit the model; [(term, weight)], the bias first, then by weight descending."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = CountVectorizer(
        analyzer=lambda terms: terms, binary=True, min_df=MIN_DF, lowercase=False
    )
    matrix = vectorizer.fit_transform(terms_of(texts))
    model = LogisticRegression(C=C, max_iter=2000, solver="liblinear")
    model.fit(matrix, list(labels))
    weights = [
        (term, round(float(weight), DECIMALS))
        for term, weight in zip(vectorizer.get_feature_names_out(), model.coef_[0], strict=True)
    ]
    weights = [(t, w) for t, w in weights if abs(w) >= MIN_ABS_WEIGHT]
    weights.sort(key=lambda item: (-item[1], item[0]))
    return [(BIAS, round(float(model.intercept_[0]), DECIMALS)), *weights]


def write_seed(weights: Sequence[tuple[str, float]], path: Path = SEED) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["term", "weight"])
        writer.writerows(weights)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing, print a summary")
    args = parser.parse_args(argv)
    files = sorted(UCI.glob("Youtube0*.csv"))
    if not files:
        raise SystemExit(f"no UCI files in {UCI} (see data/uci/README.md)")
    texts, labels = read_uci(files)
    weights = train(texts, labels)
    print(f"{len(texts)} comments ({sum(labels)} spam) -> {len(weights) - 1} terms + bias")
    print("strongest spam terms:", ", ".join(t for t, _ in weights[1:11]))
    print("strongest ham terms:", ", ".join(t for t, _ in weights[-10:]))
    if not args.check:
        write_seed(weights)
        print(f"written: {SEED.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

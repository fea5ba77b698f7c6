"""Compare classifier variants by leave-one-video-out, offline, on top of the rules' scores.

    .venv/bin/python bench/themes/spam_variants.py     # ~5 min: one rules-only dbt build

The UCI files go through the pipeline (`run.build_warehouse`) and one rules-only `dbt build`
gives every comment its rules' score. Each variant then retrains the classifier on four videos
(scikit-learn, as `spam_model.py` does) and flags a comment of the fifth when its rules' score
plus the classifier's weight reaches 3, the sum `fct_comments` makes; `run.py` measures the
shipped one in the real dbt project. A weight of 1 needs a third tier in the SQL (today: 2 from
`spam_classifier_min_probability`, 3 from `spam_classifier_strong_probability`); character
n-grams need another seed shape: both are here to show what they would buy.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import run
import spam_model
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

#: (probability from, classifier weight), highest first.
Tiers = list[tuple[float, int]]


def rules_scores(work: Path) -> dict[tuple[str, str], tuple[int, str]]:
    """(video, comment id) -> (rules' spam score, comment text) after a rules-only build."""
    warehouse, _ = run.build_warehouse(work)
    run.dbt_build(warehouse, work / "dbt-rules", variables=run.RULES_ONLY, select="+fct_comments")
    return {
        (content_id, comment_id): (score, text or "")
        for (platform, content_id, comment_id), (_, score, _, text) in run.read_flags(
            warehouse
        ).items()
        if platform == "csv"
    }


def videos(scores: dict) -> dict[str, list[tuple[str, int, int]]]:
    """video -> [(text, label, rules' score)] in file order (labels from the UCI files)."""
    out: dict[str, list[tuple[str, int, int]]] = {}
    for path in sorted(run.UCI.glob("Youtube0*.csv")):
        rows = out.setdefault(path.stem, [])
        for comment_id, spam in run.read_labels(path).items():
            score, text = scores[(path.stem, comment_id)]
            rows.append((text, int(spam), score))
    return out


def features(kind: str, train: list[str], test: list[str]) -> tuple:
    """(train matrix, test matrix): word terms as the seed has them, or character n-grams."""
    words = CountVectorizer(analyzer=lambda t: t, binary=True, min_df=2, lowercase=False)
    if kind == "words":
        return words.fit_transform(spam_model.terms_of(train)), words.transform(
            spam_model.terms_of(test)
        )
    chars = CountVectorizer(analyzer="char_wb", ngram_range=(3, 5), binary=True, min_df=2)
    a = chars.fit_transform(spam_model.normalized_texts(train))
    b = chars.transform(spam_model.normalized_texts(test))
    w_train = words.fit_transform(spam_model.terms_of(train))
    w_test = words.transform(spam_model.terms_of(test))
    return sparse.hstack([a, w_train]).tocsr(), sparse.hstack([b, w_test]).tocsr()


def logits(kind: str, c: float, train: list, test: list) -> np.ndarray:
    x_train, x_test = features(kind, [t for t, _, _ in train], [t for t, _, _ in test])
    model = LogisticRegression(C=c, max_iter=3000, solver="liblinear")
    model.fit(x_train, [label for _, label, _ in train])
    return model.decision_function(x_test)


def platt(kind: str, c: float, data: dict, train_videos: list[str]) -> Callable:
    """Calibration by an inner leave-one-video-out on the training videos only."""
    zs, ys = [], []
    for inner in train_videos:
        rest = [row for v in train_videos if v != inner for row in data[v]]
        zs += list(logits(kind, c, rest, data[inner]))
        ys += [label for _, label, _ in data[inner]]
    fit = LogisticRegression(C=1e6).fit(np.array(zs).reshape(-1, 1), ys)
    return lambda z: fit.coef_[0][0] * z + fit.intercept_[0]


def evaluate(name: str, data: dict, tiers: Tiers, kind="words", c=1.0, calibrate=False) -> str:
    cells, total = [], run.Scores()
    for held_out in data:
        train_videos = [v for v in data if v != held_out]
        z = logits(kind, c, [r for v in train_videos for r in data[v]], data[held_out])
        if calibrate:
            z = platt(kind, c, data, train_videos)(z)
        scores = run.Scores()
        for (_, label, rules), p in zip(data[held_out], 1 / (1 + np.exp(-z)), strict=True):
            weight = next((w for cut, w in tiers if p >= cut), 0)
            for bucket in (scores, total):
                bucket.add(rules + weight >= 3, bool(label))
        cells.append(f"{scores.precision:.3f} / {scores.recall:.3f}")
    cells.append(f"{total.precision:.3f} / {total.recall:.3f}")
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-spam-variants-") as tmp:
        data = videos(rules_scores(Path(tmp)))
    strong, two = [(0.9, 3)], [(0.9, 3), (0.5, 2)]
    weak = [(0.9, 3), (0.5, 1)]
    print("| variant (precision / recall) | " + " | ".join(data) + " | all |")
    print("|---|" + "---|" * (len(data) + 1))
    for row in (
        ("words, 3 from p >= 0.9 (shipped)", strong, {}),
        ("words, 3/0.9, 1 from 0.5", weak, {}),
        ("words, 3/0.9, 1 from 0.3", [(0.9, 3), (0.3, 1)], {}),
        ("words, 3/0.9, 2 from 0.5", two, {}),
        ("words, C=3, 3 from 0.9", strong, {"c": 3.0}),
        ("words, calibrated (inner LOVO), 3 from 0.9", strong, {"calibrate": True}),
        ("char 3-5 + words, 3 from 0.9", strong, {"kind": "chars"}),
        ("char 3-5 + words, 3/0.9, 2/0.5", two, {"kind": "chars"}),
    ):
        print(evaluate(row[0], data, row[1], **row[2]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

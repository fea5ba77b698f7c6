"""Quality of the spam flag and of the themes, measured on the real dbt project; write RESULTS.md.

    .venv/bin/python bench/themes/run.py [--only spam|themes|sentiment|speed] [--no-write]

`--only speed` rewrites only the cost section of RESULTS.md; the other parts alone only print.

* Spam: the UCI YouTube Spam Collection files in ``data/uci/`` (README there) go through the
  pipeline's own CSV reader and loader (``parse_file`` with the fastText detector, then
  ``load_run``) into a fresh warehouse; ``dbt build`` runs the whole project; then
  ``marts.fct_comments.is_spam`` is compared with the file's CLASS column (1 = spam). Per file
  and overall: precision, recall, F1; then the most common reasons behind the false positives
  and false negatives, with an example each.
* Themes: the hand-labelled comments of ``tests/fixtures/themes/labelled_comments.csv`` are
  inserted into another fresh warehouse (``ensure_schema`` + ``staging.comments``), ``dbt
  build`` runs, and ``fct_comments.themes`` is compared with the labels, per theme.

Nothing is tuned here: the spam seed and the theme seed are read as they are in ``dbt/seeds``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))  # bench/_harness.py

import duckdb  # noqa: E402
import orjson  # noqa: E402
import spam_model  # noqa: E402

from _harness import ProcessRun, machine, run_measured  # noqa: E402
from comment_etl.parse.parse_file import parse_file  # noqa: E402
from comment_etl.transform.dbt_build import dbt_executable, dbt_subprocess_env  # noqa: E402
from comment_etl.warehouse.load import load_run  # noqa: E402
from comment_etl.warehouse.schema import ensure_schema  # noqa: E402

UCI = HERE / "data" / "uci"
HN = HERE / "data" / "hn"
REDDIT = HERE / "data" / "reddit"
SENTIMENT = HERE / "data" / "sentiment"
SPEED_ROWS = 1_000_000
#: Measured builds of each variant in the cost part (interleaved; the fastest counts).
SPEED_REPEATS = 3
SEED_NAME = "spam_model_terms.csv"
#: dbt vars that keep the classifier from ever firing: the rules alone.
RULES_ONLY = "{spam_classifier_min_probability: 2, spam_classifier_strong_probability: 2}"
LABELLED = REPO / "tests" / "fixtures" / "themes" / "labelled_comments.csv"
RESULTS = HERE / "RESULTS.md"
DBT_PROJECT = REPO / "dbt"
COMMAND = ".venv/bin/python bench/themes/run.py"
#: Files read while the spam seed was written (they had to be transcribed by hand, see
#: data/uci/README.md) versus the file left unread until the seed was frozen.
SEEN = ("Youtube01-Psy", "Youtube02-KatyPerry", "Youtube03-LMFAO", "Youtube04-Eminem")
THEMES = (
    "praise",
    "criticism",
    "cost_money",
    "conspiracy_skepticism",
    "science_technical",
    "humor",
    "politics_nationality",
    "nostalgia_awe",
    "question",
    "spam_self_promotion",
)


def dbt_command(
    warehouse: Path,
    work: Path,
    project: Path = DBT_PROJECT,
    variables: str | None = None,
    select: str | None = None,
    full_refresh: bool = False,
) -> tuple[list[str], dict[str, str]]:
    """The `dbt build` command line and environment for `project` on `warehouse` (the
    pipeline's own dbt executable and subprocess environment: target and logs under `work`)."""
    env = dbt_subprocess_env(work, COMMENTS_WAREHOUSE=str(warehouse))
    command = [
        dbt_executable(),
        "build",
        "--project-dir", str(project),
        "--profiles-dir", str(project),
    ]  # fmt: skip
    if variables:
        command += ["--vars", variables]
    if select:
        command += ["--select", select]
    if full_refresh:
        command.append("--full-refresh")
    return command, env


def dbt_build(
    warehouse: Path,
    work: Path,
    project: Path = DBT_PROJECT,
    variables: str | None = None,
    select: str | None = None,
) -> tuple[int, str, float]:
    """`dbt build` the project on `warehouse`; (return code, the "Done." line, wall seconds)."""
    command, env = dbt_command(warehouse, work, project, variables, select)
    started = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    done = [line for line in proc.stdout.splitlines() if "Done. PASS=" in line]
    summary = done[-1].split("Done. ", 1)[1].strip() if done else "no summary"
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-2000:], file=sys.stderr)
    return proc.returncode, summary, elapsed


# ---------------------------------------------------------------- spam


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else float("nan")

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn


@dataclass
class OtherPlatform:
    """Flags on real comments of another platform, none of them spam (the false-positive rate)."""

    comments: int = 0
    flagged: int = 0
    reasons: Counter = field(default_factory=Counter)  # spam_reasons of the flagged ones
    examples: dict[str, str] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.flagged / self.comments if self.comments else float("nan")


@dataclass
class SpamRun:
    files: dict[str, Scores] = field(default_factory=dict)  # rules only, per UCI file
    total: Scores = field(default_factory=Scores)
    seen: Scores = field(default_factory=Scores)
    held_out: Scores = field(default_factory=Scores)
    missing: int = 0
    false_positives: list[tuple[str, str]] = field(default_factory=list)  # (reasons, text)
    false_negatives: list[tuple[str, str]] = field(default_factory=list)
    signals: dict[str, Scores] = field(default_factory=dict)  # fired signal vs the label
    #: leave-one-video-out: rules + the classifier trained on the four other videos
    lovo: dict[str, Scores] = field(default_factory=dict)
    lovo_total: Scores = field(default_factory=Scores)
    lovo_false_positives: list[tuple[str, str]] = field(default_factory=list)
    lovo_false_negatives: list[tuple[str, str]] = field(default_factory=list)
    #: (variant, platform) -> flags on real HN / Reddit comments
    other: dict[tuple[str, str], OtherPlatform] = field(default_factory=dict)
    dbt: str = ""
    dbt_s: list[float] = field(default_factory=list)
    detector_s: float = 0.0
    showcase: str = ""


def read_labels(path: Path) -> dict[str, bool]:
    """comment id -> spam, from a UCI file (CLASS, or `label` in some copies)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        column = "CLASS" if "CLASS" in (reader.fieldnames or []) else "label"
        return {row["COMMENT_ID"].strip(): row[column].strip() == "1" for row in reader}


def other_platform_rows() -> list[list[object]]:
    """Real HN and Reddit comments (data/hn, data/reddit; READMEs there) as staging rows.

    Neither copy has authors; comment ids are the HN item id and the Reddit row number.
    """
    rows: list[list[object]] = []
    with (HN / "hn_comments.jsonl").open(encoding="utf-8") as handle:
        for i, line in enumerate(handle, start=1):
            item = orjson.loads(line)
            item_id = item["url"].rsplit("=", 1)[-1]
            rows.append(["hackernews", item.get("story", "hn-sample"), item_id, item["text"], i])
    with (REDDIT / "reddit_comments.csv").open(encoding="utf-8", newline="") as handle:
        for i, row in enumerate(csv.DictReader(handle), start=1):
            thread = hashlib.sha256(row["post_title"].encode()).hexdigest()[:12]
            rows.append(["reddit", thread, f"r{i}", row["comment"], i])
    return rows


def build_warehouse(work: Path) -> tuple[Path, float]:
    """UCI files through parse_file + load_run, HN/Reddit comments inserted into staging."""
    files = sorted(UCI.glob("Youtube0*.csv"))
    if not files:
        raise SystemExit(f"no UCI files in {UCI} (see data/uci/README.md)")
    warehouse = work / "spam.duckdb"
    manifests = []
    started = time.perf_counter()
    for path in files:
        data = path.read_bytes()
        manifests.append(
            parse_file(
                path,
                path.name,
                hashlib.sha256(data).hexdigest(),
                len(data),
                work / "parsed" / path.stem,
                detector="fasttext",
            )
        )
    detector_s = time.perf_counter() - started
    load_run(warehouse, manifests, load_id="bench-themes-spam")
    con = duckdb.connect(str(warehouse))
    try:
        con.executemany(
            "insert into staging.comments (platform, content_id, comment_id, text, position, "
            "source_file, load_id, ingested_at) values (?, ?, ?, ?, ?, 'bench', 'bench', ?)",
            [[*row, datetime.now(UTC)] for row in other_platform_rows()],
        )
    finally:
        con.close()
    return warehouse, detector_s


def read_flags(warehouse: Path) -> dict[tuple[str, str, str], tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select platform, content_id, comment_id, is_spam, spam_score, spam_reasons, "
            "comment_text from marts.fct_comments"
        ).fetchall()
    finally:
        con.close()
    return {(r[0], r[1], r[2]): r[3:] for r in rows}


def score_uci(
    flags: dict,
    path: Path,
    buckets: list[Scores],
    false_positives: list[tuple[str, str]],
    false_negatives: list[tuple[str, str]],
    signals: dict[str, Scores] | None = None,
) -> int:
    """Compare one UCI file's labels with the flags; return the labelled comments not found."""
    missing = 0
    for comment_id, actual in read_labels(path).items():
        row = flags.get(("csv", path.stem, comment_id))
        if row is None:
            missing += 1
            continue
        is_spam, score, reasons, text = row
        for bucket in buckets:
            bucket.add(is_spam, actual)
        if signals is not None:
            for signal in reasons:
                signals.setdefault(signal, Scores()).add(True, actual)
        explained = f"{score}: {' + '.join(reasons) or 'no signal'}"
        excerpt = " ".join((text or "").split())[:90]
        if is_spam and not actual:
            false_positives.append((explained, f"{path.stem}: {excerpt}"))
        elif actual and not is_spam:
            false_negatives.append((explained, f"{path.stem}: {excerpt}"))
    return missing


def score_other(flags: dict, variant: str, run: SpamRun) -> None:
    for (platform_name, _, _), (is_spam, _, reasons, text) in flags.items():
        if platform_name == "csv":
            continue
        bucket = run.other.setdefault((variant, platform_name), OtherPlatform())
        bucket.comments += 1
        if is_spam:
            bucket.flagged += 1
            reason = " + ".join(reasons)
            bucket.reasons[reason] += 1
            bucket.examples.setdefault(reason, " ".join((text or "").split())[:90])


def fold_project(work: Path, held_out: Path, files: list[Path]) -> Path:
    """A copy of the dbt project whose spam_model_terms seed is trained without `held_out`."""
    project = work / f"dbt-{held_out.stem}"
    shutil.copytree(
        DBT_PROJECT, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    texts, labels = spam_model.read_uci([f for f in files if f != held_out])
    spam_model.write_seed(spam_model.train(texts, labels), project / "seeds" / SEED_NAME)
    return project


def run_spam(work: Path) -> SpamRun:
    files = sorted(UCI.glob("Youtube0*.csv"))
    warehouse, detector_s = build_warehouse(work)
    result = SpamRun(detector_s=detector_s)

    # 1. the rules alone (the classifier never reaches its threshold)
    code, result.dbt, elapsed = dbt_build(warehouse, work / "dbt-rules", variables=RULES_ONLY)
    result.dbt_s.append(elapsed)
    if code != 0:
        print(f"dbt build: {result.dbt} (exit {code}); reading the marts anyway", file=sys.stderr)
    flags = read_flags(warehouse)
    for path in files:
        group = result.seen if path.stem in SEEN else result.held_out
        buckets = [result.files.setdefault(path.stem, Scores()), result.total, group]
        result.missing += score_uci(
            flags, path, buckets, result.false_positives, result.false_negatives, result.signals
        )
    score_other(flags, "rules only", result)

    # 2. leave one video out: rules + a classifier trained on the four other videos
    for held_out in files:
        project = fold_project(work, held_out, files)
        code, summary, elapsed = dbt_build(
            warehouse, work / f"dbt-{held_out.stem}-out", project=project, select="+fct_comments"
        )
        result.dbt_s.append(elapsed)
        if code != 0:
            print(f"fold {held_out.stem}: {summary} (exit {code})", file=sys.stderr)
        score_uci(
            read_flags(warehouse),
            held_out,
            [result.lovo.setdefault(held_out.stem, Scores()), result.lovo_total],
            result.lovo_false_positives,
            result.lovo_false_negatives,
        )

    # 3. the project as shipped (classifier trained on all five videos): other platforms
    code, summary, elapsed = dbt_build(warehouse, work / "dbt-shipped")
    result.dbt_s.append(elapsed)
    if code != 0:
        print(f"shipped project: {summary} (exit {code})", file=sys.stderr)
    score_other(read_flags(warehouse), "as shipped", result)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        result.showcase = showcase(con)
    finally:
        con.close()
    return result


def showcase(con: duckdb.DuckDBPyConnection) -> str:
    """What the other new marts say about the same five videos (no labels to compare with)."""
    lines = [
        "| video | language_confidence (fastText) | top moments | top unigrams | top bigrams |",
        "|---|---|---|---|---|",
    ]
    for (content_id,) in con.execute(
        "select content_id from marts.dim_contents where platform = 'csv' order by 1"
    ).fetchall():
        conf = con.execute(
            "select comments, share_und, share_low_confidence, median_confidence "
            "from marts.fct_language_confidence where content_id = ?",
            [content_id],
        ).fetchone()
        confidence = (
            f"{conf[0]} comments, und {conf[1]:.0%}, low {conf[2]:.0%}, median {conf[3]:.2f}"
            if conf
            else "-"
        )
        moments = ", ".join(
            f"{label} ({n})"
            for label, n in con.execute(
                "select moment_label, mentions from marts.fct_moments where content_id = ? "
                "order by mentions desc, second limit 3",
                [content_id],
            ).fetchall()
        )
        terms = {}
        for term_type in ("unigram", "bigram"):
            terms[term_type] = ", ".join(
                term
                for (term,) in con.execute(
                    "select term from marts.fct_content_topics where content_id = ? "
                    "and term_type = ? order by rank limit 5",
                    [content_id, term_type],
                ).fetchall()
            )
        lines.append(
            f"| {content_id} | {confidence} | {moments or '-'} | {terms['unigram']} | "
            f"{terms['bigram']} |"
        )
    return "\n".join(lines)


def _pct(value: float) -> str:
    return "n/a" if value != value else f"{value:.3f}"


def spam_tables(run: SpamRun) -> str:
    lines = [
        "| file | comments | spam (label) | flagged | TP | FP | FN | precision | recall | F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def row(name: str, s: Scores) -> str:
        return (
            f"| {name} | {s.n} | {s.tp + s.fn} | {s.tp + s.fp} | {s.tp} | {s.fp} | {s.fn} | "
            f"{_pct(s.precision)} | {_pct(s.recall)} | {_pct(s.f1)} |"
        )

    for name, scores in run.files.items():
        marker = "" if name in SEEN else " (held out)"
        lines.append(row(name + marker, scores))
    if run.held_out.n:
        lines.append(row("**seen while writing the seed**", run.seen))
        lines.append(row("**held out**", run.held_out))
    lines.append(row("**all**", run.total))
    lines += [
        "",
        "Per signal (a comment counts for every signal that fired, above the threshold or not):",
        "",
        "| signal | fired on | of which spam | of which not spam | precision as a cue |",
        "|---|---:|---:|---:|---:|",
    ]
    for signal, s in sorted(run.signals.items(), key=lambda item: -item[1].n):
        lines.append(f"| {signal} | {s.n} | {s.tp} | {s.fp} | {_pct(s.precision)} |")
    lines += ["", "Rules only: the errors.", *errors(run.false_positives, run.false_negatives)]
    return "\n".join(lines)


def errors(false_positives: list, false_negatives: list) -> list[str]:
    lines: list[str] = []
    for title, cases in (
        ("False positives (flagged, labelled not spam)", false_positives),
        ("False negatives (labelled spam, not flagged)", false_negatives),
    ):
        lines += [
            "",
            f"{title}: {len(cases)}. The 10 most common reasons (score: signals), an example each:",
            "",
            "| reason | comments | example |",
            "|---|---:|---|",
        ]
        counts = Counter(reason for reason, _ in cases)
        examples: dict[str, str] = {}
        for reason, text in cases:
            examples.setdefault(reason, text)
        for reason, count in counts.most_common(10):
            example = examples[reason].replace("|", "\\|")
            lines.append(f"| {reason} | {count} | {example} |")
    return lines


def lovo_table(run: SpamRun) -> str:
    lines = [
        "| held-out video | comments | spam (label) | rules only P | rules only R | "
        "rules + classifier P | rules + classifier R | F1 | P >= 0.95 | R >= 0.85 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for name, s in [*run.lovo.items(), ("**all five**", run.lovo_total)]:
        rules = run.files.get(name, run.total)
        lines.append(
            f"| {name} | {s.n} | {s.tp + s.fn} | {_pct(rules.precision)} | "
            f"{_pct(rules.recall)} | {_pct(s.precision)} | {_pct(s.recall)} | {_pct(s.f1)} | "
            f"{'met' if s.precision >= 0.95 else 'missed'} | "
            f"{'met' if s.recall >= 0.85 else 'missed'} |"
        )
    lines += ["", *errors(run.lovo_false_positives, run.lovo_false_negatives)]
    return "\n".join(lines)


def other_table(run: SpamRun) -> str:
    lines = [
        "| variant | platform | comments | flagged spam | false-positive rate | <= 2 % |",
        "|---|---|---:|---:|---:|---|",
    ]
    for (variant, platform_name), o in sorted(run.other.items()):
        lines.append(
            f"| {variant} | {platform_name} | {o.comments} | {o.flagged} | {o.rate:.1%} | "
            f"{'met' if o.rate <= 0.02 else 'missed'} |"
        )
    lines += ["", "Why they were flagged (as shipped), an example each:", ""]
    lines += ["| platform | reasons | comments | example |", "|---|---|---:|---|"]
    for (variant, platform_name), o in sorted(run.other.items()):
        if variant != "as shipped":
            continue
        for reason, count in o.reasons.most_common(10):
            example = o.examples[reason].replace("|", "\\|")
            lines.append(f"| {platform_name} | {reason} | {count} | {example} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- themes


@dataclass
class ThemeRun:
    per_theme: dict[str, Scores] = field(default_factory=dict)
    total: Scores = field(default_factory=Scores)
    comments: int = 0
    misses: list[tuple[str, str, str, str]] = field(default_factory=list)
    dbt: str = ""
    dbt_s: float = 0.0


def run_themes(work: Path) -> ThemeRun:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        labelled = list(csv.DictReader(handle))
    warehouse = work / "themes.duckdb"
    now = datetime.now(UTC)
    con = duckdb.connect(str(warehouse))
    try:
        ensure_schema(con)
        con.executemany(
            "insert into staging.comments (platform, content_id, comment_id, text, position, "
            "source_file, load_id, ingested_at) values ('bench', 'labelled', ?, ?, ?, "
            "'labelled_comments.csv', 'bench-themes', ?)",
            [[f"L{i:03d}", row["text"], i, now] for i, row in enumerate(labelled, start=1)],
        )
    finally:
        con.close()
    result = ThemeRun(comments=len(labelled))
    code, result.dbt, result.dbt_s = dbt_build(warehouse, work / "dbt-themes")
    if code != 0:
        print(f"dbt build: {result.dbt} (exit {code}); reading the marts anyway", file=sys.stderr)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        predicted = dict(
            con.execute("select comment_id, themes from marts.fct_comments").fetchall()
        )
    finally:
        con.close()
    for i, row in enumerate(labelled, start=1):
        expected = {t for t in row["expected_themes"].split(";") if t}
        got = set(predicted.get(f"L{i:03d}", []))
        for theme in THEMES:
            for bucket in (result.per_theme.setdefault(theme, Scores()), result.total):
                bucket.add(theme in got, theme in expected)
        if expected != got:
            excerpt = " ".join(row["text"].split())[:70]
            missed = ", ".join(sorted(expected - got)) or "-"
            extra = ", ".join(sorted(got - expected)) or "-"
            result.misses.append((row["source"].rsplit("/", 1)[-1], missed, extra, excerpt))
    return result


def theme_tables(run: ThemeRun) -> str:
    lines = [
        "| theme | labelled | predicted | TP | FP | FN | precision | recall | F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for theme in THEMES:
        s = run.per_theme[theme]
        lines.append(
            f"| {theme} | {s.tp + s.fn} | {s.tp + s.fp} | {s.tp} | {s.fp} | {s.fn} | "
            f"{_pct(s.precision)} | {_pct(s.recall)} | {_pct(s.f1)} |"
        )
    s = run.total
    lines.append(
        f"| **all (micro)** | {s.tp + s.fn} | {s.tp + s.fp} | {s.tp} | {s.fp} | {s.fn} | "
        f"{_pct(s.precision)} | {_pct(s.recall)} | {_pct(s.f1)} |"
    )
    lines += [
        "",
        f"Comments whose themes differ from the labels: {len(run.misses)} of {run.comments}.",
        "",
        "| source | missed | extra | text |",
        "|---|---|---|---|",
    ]
    for source, missed, extra, text in run.misses:
        lines.append(f"| {source} | {missed} | {extra} | {text.replace('|', '/')} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- sentiment


@dataclass
class SentimentFile:
    n: int = 0
    sql: Counter = field(default_factory=Counter)  # (label, predicted) for fct_comments
    vader: Counter = field(default_factory=Counter)  # the same for vaderSentiment (reference)

    @staticmethod
    def accuracy(counts: Counter) -> float:
        total = sum(counts.values())
        right = counts[("positive", "positive")] + counts[("negative", "negative")]
        return right / total if total else float("nan")

    @staticmethod
    def share(counts: Counter, predicted: str) -> float:
        total = sum(counts.values())
        return sum(v for (_, p), v in counts.items() if p == predicted) / total


@dataclass
class SentimentRun:
    files: dict[str, SentimentFile] = field(default_factory=dict)
    dbt: str = ""
    dbt_s: float = 0.0
    vader_s: float = 0.0


def read_sentences() -> dict[str, list[tuple[str, str]]]:
    """file stem -> [(sentence, "positive"|"negative")] of the Sentiment Labelled Sentences."""
    result = {}
    for path in sorted(SENTIMENT.glob("*_labelled.txt")):
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            text, _, label = line.rstrip().rpartition("\t")
            if text and label in ("0", "1"):
                rows.append((text.strip(), "positive" if label == "1" else "negative"))
        result[path.stem.removesuffix("_labelled")] = rows
    return result


def run_sentiment(work: Path) -> SentimentRun:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sentences = read_sentences()
    warehouse = work / "sentiment.duckdb"
    now = datetime.now(UTC)
    con = duckdb.connect(str(warehouse))
    try:
        ensure_schema(con)
        con.executemany(
            "insert into staging.comments (platform, content_id, comment_id, text, language, "
            "position, source_file, load_id, ingested_at) "
            "values ('bench', ?, ?, ?, 'en', ?, 'sentiment', 'bench-sentiment', ?)",
            [
                [name, f"{name}-{i}", text, i, now]
                for name, rows in sentences.items()
                for i, (text, _) in enumerate(rows, start=1)
            ],
        )
    finally:
        con.close()
    result = SentimentRun()
    code, result.dbt, result.dbt_s = dbt_build(
        warehouse, work / "dbt-sentiment", select="+fct_comments"
    )
    if code != 0:
        print(f"dbt build: {result.dbt} (exit {code}); reading the marts anyway", file=sys.stderr)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        predicted = dict(
            con.execute("select comment_id, sentiment from marts.fct_comments").fetchall()
        )
    finally:
        con.close()
    analyzer = SentimentIntensityAnalyzer()
    started = time.perf_counter()
    for name, rows in sentences.items():
        scores = result.files.setdefault(name, SentimentFile())
        for i, (text, label) in enumerate(rows, start=1):
            scores.n += 1
            scores.sql[(label, predicted.get(f"{name}-{i}", "missing"))] += 1
            compound = analyzer.polarity_scores(text)["compound"]
            vader = (
                "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
            )
            scores.vader[(label, vader)] += 1
    result.vader_s = time.perf_counter() - started
    return result


def sentiment_tables(run: SentimentRun) -> str:
    lines = [
        "| file | sentences | fct_comments accuracy | neutral | vaderSentiment accuracy "
        "| neutral |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    total = SentimentFile()
    for name, f in run.files.items():
        total.n += f.n
        total.sql.update(f.sql)
        total.vader.update(f.vader)
        lines.append(
            f"| {name} | {f.n} | {f.accuracy(f.sql):.3f} | {f.share(f.sql, 'neutral'):.1%} | "
            f"{f.accuracy(f.vader):.3f} | {f.share(f.vader, 'neutral'):.1%} |"
        )
    t = total
    lines.append(
        f"| **all** | {t.n} | {t.accuracy(t.sql):.3f} | {t.share(t.sql, 'neutral'):.1%} | "
        f"{t.accuracy(t.vader):.3f} | {t.share(t.vader, 'neutral'):.1%} |"
    )
    lines += ["", "Confusion, fct_comments (label -> predicted):", ""]
    lines += ["| label | positive | neutral | negative |", "|---|---:|---:|---:|"]
    for label in ("positive", "negative"):
        row = [t.sql[(label, p)] for p in ("positive", "neutral", "negative")]
        lines.append(f"| {label} | {row[0]} | {row[1]} | {row[2]} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- speed


def run_speed(work: Path, rows: int) -> list[tuple[str, ProcessRun]]:
    """`dbt build` of int_comment_spam_signals (model + its tests) on `rows` comments,
    classifier off vs on, each a whole measured process."""
    texts = [text for text, *_ in spam_model_texts()]
    warehouse = work / "speed.duckdb"
    con = duckdb.connect(str(warehouse))
    try:
        ensure_schema(con)
        con.execute("create temp table texts (i integer, t varchar)")
        con.executemany("insert into texts values (?, ?)", list(enumerate(texts)))
        con.execute(
            f"""
            insert into staging.comments (platform, content_id, comment_id, author_name, text,
                position, source_file, load_id, ingested_at)
            select 'youtube', 'v' || (g % 1000), 'c' || g, 'a' || (g % 50000),
                t || ' ' || (g % 9973), g, 'speed', 'bench-speed', now()
            from range({rows}) as r(g)
            join texts on texts.i = g % (select count(*) from texts)
            """
        )
    finally:
        con.close()
    # the seeds int_comment_spam_signals reads with run_query are no ref() ancestors: build them
    dbt_build(warehouse, work / "dbt-speed-prep", select="+int_comment_spam_signals")
    # rules only: a project copy whose spam_signal_platforms turns the classifier off on
    # youtube, so its terms are not even computed (the vars alone would only hide its rows)
    rules_only = work / "dbt-speed-rules-project"
    shutil.copytree(
        DBT_PROJECT, rules_only, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    platforms = rules_only / "seeds" / "spam_signal_platforms.csv"
    platforms.write_text(platforms.read_text() + "youtube,classifier,0\n")
    # Interleaved (rules, classifier, rules, classifier, ...): in one pass of each the first
    # build was 7 s slower whichever variant it was (dbt parsing the project without its cache,
    # the page cache), so one pass measures the order. Each variant keeps its own target
    # folder: after its seed build, both parse the project from dbt's cache.
    variants = (("rules only", rules_only, "rules"), ("rules + classifier", DBT_PROJECT, "both"))
    timings = []
    for repeat in range(1, SPEED_REPEATS + 1):
        for name, project, folder in variants:
            target = work / f"dbt-speed-{folder}"
            dbt_build(warehouse, target, project=project, select="spam_signal_platforms")
            # a full refresh: incrementally, with nothing new loaded, the model scores nothing
            command, env = dbt_command(
                warehouse,
                target,
                project=project,
                select="int_comment_spam_signals",
                full_refresh=True,
            )
            log = target / f"build-{repeat}.log"
            run = run_measured(command, env=env, log_path=log)
            if run.returncode != 0:
                print(log.read_text()[-3000:], file=sys.stderr)
            timings.append((name, run))
    return timings


def spam_model_texts() -> list[tuple[str, int]]:
    texts, labels = spam_model.read_uci(sorted(UCI.glob("Youtube0*.csv")))
    return list(zip(texts, labels, strict=True))


# ---------------------------------------------------------------- report


def render(
    spam: SpamRun | None,
    themes: ThemeRun | None,
    sentiment: SentimentRun | None = None,
    speed: list[tuple[str, ProcessRun]] | None = None,
) -> str:
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    host = f"{machine()}, Python {platform.python_version()}"
    out = [
        "# Spam flag and theme quality",
        "",
        f"Command: `{COMMAND}` (run from the repository root). Date: {today}. Machine: {host}.",
        "",
        "Written by `run.py`: the notes come from `NOTES.md`, the tables are this run's.",
        "",
    ]
    notes = HERE / "NOTES.md"
    if notes.exists():
        out += [notes.read_text(encoding="utf-8").strip(), ""]
    if spam is not None:
        out += [
            "## Spam flag: leave one video out (UCI YouTube Spam Collection)",
            "",
            f"Pipeline: `parse_file` (CSV reader, fastText labels, {spam.detector_s:.0f} s) and "
            f"`load_run`, then one `dbt build` per variant "
            f"({', '.join(f'{t:.0f}' for t in spam.dbt_s)} s wall); the rules-only build: "
            f"{spam.dbt}. Labelled comments not found in fct_comments: {spam.missing}.",
            "",
            "For each video, the classifier seed is retrained on the four others "
            "(`spam_model.py`), the project is built, and only that video is scored. "
            "The rules were not retrained (see the caveats above: four of the five files were "
            "read while they were written).",
            "",
            lovo_table(spam),
            "",
            "## False positives on real Hacker News and Reddit comments",
            "",
            "None of these comments is spam (`data/hn`, `data/reddit`: real comments from public "
            "repositories, see the READMEs there). `as shipped` = the project as committed "
            "(classifier trained on all five UCI videos, off on these platforms by "
            "`spam_signal_platforms`).",
            "",
            other_table(spam),
            "",
            "## Rules alone against the UCI labels",
            "",
            spam_tables(spam),
            "",
            "### The other new marts on the same videos",
            "",
            "Non-spam comments only; no labels to score these against, shown for a sanity look.",
            "",
            spam.showcase,
            "",
        ]
    if themes is not None:
        out += [
            "## Themes against hand-labelled comments",
            "",
            f"{themes.comments} comments from `tests/fixtures/themes/labelled_comments.csv`, "
            f"`dbt build` ({themes.dbt_s:.0f} s wall): {themes.dbt}. A theme counts once per "
            "comment.",
            "",
            theme_tables(themes),
            "",
        ]
    if sentiment is not None:
        out += [
            "## Sentiment against the Sentiment Labelled Sentences",
            "",
            "3 x 1,000 English review sentences labelled positive / negative by their authors "
            "(`data/sentiment/README.md`), inserted as English comments; `dbt build` of "
            f"`+fct_comments` ({sentiment.dbt_s:.0f} s wall): {sentiment.dbt}. Compared with "
            "the reference implementation `vaderSentiment` (Python, all VADER rules; "
            f"{sentiment.vader_s:.1f} s for the 3,000 sentences). Accuracy = share labelled "
            "right; a `neutral` answer counts as wrong (the set has no neutral sentences).",
            "",
            sentiment_tables(sentiment),
            "",
        ]
    if speed:
        out += speed_section(speed)
    return "\n".join(out)


SPEED_HEADING = "## Cost of the classifier"


def speed_section(speed: list[tuple[str, ProcessRun]]) -> list[str]:
    """The cost table: each build a whole process (bench/_harness.py), rules alone and with the
    classifier, in one run on the same warehouse."""
    out = [
        SPEED_HEADING,
        "",
        f"`dbt build --select int_comment_spam_signals --full-refresh` (model + its tests) on "
        f"{SPEED_ROWS:,} "
        "generated comments (UCI texts repeated with a number appended, platform youtube), "
        f"each a whole process, {SPEED_REPEATS} builds of each variant interleaved in one run "
        f"({machine()}; *others* = cores the rest of the machine kept busy: compare lines of "
        "one run, not runs with each other):",
        "",
        "| variant | result | wall s | CPU s | comments/s | peak RSS MB | others |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, run in speed:
        result = "ok" if run.returncode == 0 else f"failed (exit {run.returncode})"
        out.append(
            f"| {name} | {result} | {run.wall:.1f} | {run.cpu:.1f} | "
            f"{run.rate(SPEED_ROWS):,.0f} | {run.max_rss_mb:.0f} | {run.others:.1f} |"
        )
    out.append("")
    fastest: dict[str, tuple[float, float]] = {}
    for name, run in speed:
        if run.returncode == 0:
            wall, cpu = fastest.get(name, (run.wall, run.cpu))
            fastest[name] = (min(wall, run.wall), min(cpu, run.cpu))
    if {"rules only", "rules + classifier"} <= fastest.keys():
        (rules_wall, rules_cpu), (both_wall, both_cpu) = (
            fastest["rules only"],
            fastest["rules + classifier"],
        )
        out += [
            f"Scoring {SPEED_ROWS:,} comments with the classifier, fastest build of each variant: "
            f"{both_wall - rules_wall:+.1f} s wall, {both_cpu - rules_cpu:+.1f} CPU s.",
            "",
        ]
    return out


def splice_speed(results: str, section: list[str]) -> str:
    """`results` with its cost section (the last one) replaced by `section`."""
    kept = results.split(SPEED_HEADING, 1)[0].rstrip("\n")
    return kept + "\n\n" + "\n".join(section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", choices=("spam", "themes", "sentiment", "speed"), help="run one part only"
    )
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-themes-") as tmp:
        work = Path(tmp)
        spam = run_spam(work) if args.only in (None, "spam") else None
        themes = run_themes(work) if args.only in (None, "themes") else None
        sentiment = run_sentiment(work) if args.only in (None, "sentiment") else None
        speed = None
        if args.only in (None, "speed"):
            try:
                speed = run_speed(work, SPEED_ROWS)
            except (duckdb.Error, OSError) as exc:  # keep the other tables; no cost section
                print(f"speed measurement failed, no cost section: {exc}", file=sys.stderr)
    report = render(spam, themes, sentiment, speed)
    print(report)
    if not args.no_write and args.only is None:
        RESULTS.write_text(report, encoding="utf-8")
        print(f"\nwritten: {RESULTS.relative_to(REPO)}")
    elif not args.no_write and args.only == "speed" and speed:
        RESULTS.write_text(
            splice_speed(RESULTS.read_text(encoding="utf-8"), speed_section(speed)),
            encoding="utf-8",
        )
        print(f"\nwritten: the cost section of {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

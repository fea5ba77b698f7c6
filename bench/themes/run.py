"""Quality of the spam flag and of the themes, measured on the real dbt project; write RESULTS.md.

    .venv/bin/python bench/themes/run.py [--only spam|themes] [--no-write]

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
import os
import platform
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

import duckdb  # noqa: E402

from comment_etl.parse.parse_file import parse_file  # noqa: E402
from comment_etl.warehouse.load import load_run  # noqa: E402
from comment_etl.warehouse.schema import ensure_schema  # noqa: E402

UCI = HERE / "data" / "uci"
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


def dbt_build(warehouse: Path, work: Path) -> tuple[int, str, float]:
    """`dbt build` the project on `warehouse`; (return code, the "Done." line, wall seconds)."""
    env = {
        **os.environ,
        "COMMENTS_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    command = [
        str(Path(sys.executable).with_name("dbt")),
        "build",
        "--project-dir", str(DBT_PROJECT),
        "--profiles-dir", str(DBT_PROJECT),
        "--target-path", str(work / "target"),
        "--log-path", str(work / "logs"),
    ]  # fmt: skip
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
class SpamRun:
    files: dict[str, Scores] = field(default_factory=dict)
    total: Scores = field(default_factory=Scores)
    seen: Scores = field(default_factory=Scores)
    held_out: Scores = field(default_factory=Scores)
    missing: int = 0
    false_positives: list[tuple[str, str]] = field(default_factory=list)  # (reasons, text)
    false_negatives: list[tuple[str, str]] = field(default_factory=list)
    signals: dict[str, Scores] = field(default_factory=dict)  # fired signal vs the label
    dbt: str = ""
    dbt_s: float = 0.0
    detector_s: float = 0.0
    showcase: str = ""


def read_labels(path: Path) -> dict[str, bool]:
    """comment id -> spam, from a UCI file (CLASS, or `label` in some copies)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        column = "CLASS" if "CLASS" in (reader.fieldnames or []) else "label"
        return {row["COMMENT_ID"].strip(): row[column].strip() == "1" for row in reader}


def run_spam(work: Path) -> SpamRun:
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
    result = SpamRun(detector_s=time.perf_counter() - started)
    load_run(warehouse, manifests, load_id="bench-themes-spam")
    code, result.dbt, result.dbt_s = dbt_build(warehouse, work / "dbt-spam")
    if code != 0:
        print(f"dbt build: {result.dbt} (exit {code}); reading the marts anyway", file=sys.stderr)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select content_id, comment_id, is_spam, spam_score, spam_reasons, comment_text "
            "from marts.fct_comments where platform = 'csv'"
        ).fetchall()
        result.showcase = showcase(con)
    finally:
        con.close()
    predicted = {(r[0], r[1]): r for r in rows}
    for path in files:
        labels = read_labels(path)
        scores = result.files.setdefault(path.stem, Scores())
        group = result.seen if path.stem in SEEN else result.held_out
        for comment_id, actual in labels.items():
            row = predicted.get((path.stem, comment_id))
            if row is None:
                result.missing += 1
                continue
            _, _, is_spam, score, reasons, text = row
            for bucket in (scores, result.total, group):
                bucket.add(is_spam, actual)
            for signal in reasons:
                result.signals.setdefault(signal, Scores()).add(True, actual)
            explained = f"{score}: {' + '.join(reasons) or 'no signal'}"
            excerpt = " ".join((text or "").split())[:90]
            if is_spam and not actual:
                result.false_positives.append((explained, f"{path.stem}: {excerpt}"))
            elif actual and not is_spam:
                result.false_negatives.append((explained, f"{path.stem}: {excerpt}"))
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
            "from marts.language_confidence where content_id = ?",
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
                "select moment_label, mentions from marts.moments where content_id = ? "
                "order by mentions desc, second limit 3",
                [content_id],
            ).fetchall()
        )
        terms = {}
        for term_type in ("unigram", "bigram"):
            terms[term_type] = ", ".join(
                term
                for (term,) in con.execute(
                    "select term from marts.content_topics where content_id = ? "
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
    for title, cases in (
        ("False positives (flagged, labelled not spam)", run.false_positives),
        ("False negatives (labelled spam, not flagged)", run.false_negatives),
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


# ---------------------------------------------------------------- report


def render(spam: SpamRun | None, themes: ThemeRun | None) -> str:
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    out = [
        "# Spam flag and theme quality",
        "",
        f"Command: `{COMMAND}` (run from the repository root). Date: {today}. Machine: {machine}.",
        "",
        "Written by `run.py`: the notes come from `NOTES.md`, the tables are this run's.",
        "",
    ]
    notes = HERE / "NOTES.md"
    if notes.exists():
        out += [notes.read_text(encoding="utf-8").strip(), ""]
    if spam is not None:
        out += [
            "## Spam flag against the UCI YouTube Spam Collection",
            "",
            f"Pipeline: `parse_file` (CSV reader, fastText labels, {spam.detector_s:.0f} s) and "
            f"`load_run`, then `dbt build` ({spam.dbt_s:.0f} s wall): {spam.dbt}. "
            f"Labelled comments not found in fct_comments: {spam.missing}.",
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
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("spam", "themes"), help="run one part only")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-themes-") as tmp:
        work = Path(tmp)
        spam = run_spam(work) if args.only in (None, "spam") else None
        themes = run_themes(work) if args.only in (None, "themes") else None
    report = render(spam, themes)
    print(report)
    if not args.no_write and args.only is None:
        RESULTS.write_text(report, encoding="utf-8")
        print(f"\nwritten: {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

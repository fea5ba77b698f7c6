"""End to end: our pipeline against what a user would otherwise pick, on one generated Reddit
dump, each contender a whole process; writes bench/RESULTS.md.

    python bench/pipeline/run.py                   # 1M comments (~1 h on 2 shared cores)
    python bench/pipeline/run.py --rows 20000 --no-write   # a quick look (~5 min)

The dump is made by ``bench/parse/generate.py`` (seeded: the same size gives the same bytes),
cached in ``bench/pipeline/data/`` (gitignored), with a second dump of ``--day-share`` more
comments that continues it (the next day). Every contender runs in a fresh subprocess measured
by ``bench/_harness.py``: wall s, CPU s (children included), peak RSS of the largest process and
of the whole process tree, rows/s; the table gives the ratio of ours to each.

Contenders (``--only`` picks some):

* ``duckdb_read_json``: ``CREATE TABLE AS SELECT * FROM read_json(f, ignore_errors=true)``, the
  near-limit: no rejects with reasons, no normalization, no language;
* ``dlt`` / ``dlt_parquet``: a ``dlt.resource`` of orjson-parsed dicts into DuckDB, default load
  files and Parquet load files (``bench/parse/run.py``'s contenders);
* ``pandas_langdetect``: the obvious build: ``pandas.read_json(lines=True, chunksize)``, a
  per-row ``langdetect`` loop, insert into DuckDB; on the first ``--slow-rows`` rows only (it
  runs at a few hundred rows/s), rows/s compares;
* ``ours_ingest``: ``parse_file`` + ``load_run`` into a new warehouse (no dbt);
* ``language_<detector>``: language detection alone over the dump's comment texts;
* ``ours_full``: the DAG's steps in one process (discover, parse, load, dbt build, publish;
  ``comment_etl.pipeline``, no Airflow scheduler around it);
* ``ours_day``: the next day's dump on top of the full run's warehouse (parse, load, dbt).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
REPO = BENCH.parent
DATA = HERE / "data"
RESULTS = BENCH / "RESULTS.md"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH / "parse"))

import generate  # noqa: E402

from _harness import machine, run_measured  # noqa: E402

#: What a user would otherwise pick: the table gives our ingest's rows/s against theirs.
ALTERNATIVES = ("duckdb_read_json", "dlt", "dlt_parquet", "pandas_langdetect")
LANGUAGE_DETECTORS = ("fasttext", "combined", "langdetect", "lingua")
#: Detectors too slow for a whole big dump: measured on the first --slow-rows texts.
SLOW_DETECTORS = ("langdetect", "lingua")

# --- contenders (inside the worker subprocess) ----------------------------------------------


def _env_for(work: Path) -> None:
    os.environ.update(
        {
            "COMMENTS_LANDING_DIR": str(work / "landing"),
            "COMMENTS_WAREHOUSE": str(work / "warehouse" / "comments.duckdb"),
            "COMMENTS_BI_SNAPSHOT": str(work / "warehouse" / "comments_bi.duckdb"),
            "COMMENTS_WORK_DIR": str(work / "parse"),
            "COMMENTS_DBT_TARGET_DIR": str(work / "dbt_target"),
            "COMMENTS_IGNORE_AIRFLOW_VARIABLES": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }
    )


def run_duckdb_read_json(path: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect(str(work / "duckdb.duckdb"))
    con.execute(
        "create table comments as select * from read_json(?, format='newline_delimited', "
        "ignore_errors=true)",
        [str(path)],
    )
    return {"rows": con.execute("select count(*) from comments").fetchone()[0]}


def _parse_bench() -> Any:
    """bench/parse/run.py (its dlt contenders), loaded by path: this file is a `run.py` too."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_parse_run", BENCH / "parse" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def run_dlt(path: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    return _parse_bench().run_dlt_reddit(path, work / "dlt")


def run_dlt_parquet(path: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    return _parse_bench().run_dlt_parquet(path, work / "dlt")


def run_pandas_langdetect(path: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """pandas.read_json(lines=True) stops at the first invalid line, so: orjson per line
    (skipping what does not parse), a DataFrame per 1,000 rows, langdetect per row, insert."""
    import io

    import duckdb
    import orjson
    import pandas as pd
    import zstandard
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0
    con = duckdb.connect(str(work / "pandas.duckdb"))
    columns = ["id", "author", "body", "created_utc", "score", "link_id"]
    rows, skipped, batch = 0, 0, []

    def flush(batch_frame: Any) -> None:
        languages = []
        for body in batch_frame["body"].astype("string").fillna(""):
            try:
                languages.append(detect(body))
            except LangDetectException:
                languages.append("und")
        frame = batch_frame.assign(language=languages)  # noqa: F841 (read by DuckDB)
        con.execute("insert into comments select * from frame")

    con.execute(
        "create table comments (id varchar, author varchar, body varchar, created_utc varchar, "
        "score varchar, link_id varchar, language varchar)"
    )
    with open(path, "rb") as raw:
        reader = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(raw)
        for line in io.BufferedReader(reader, buffer_size=1 << 20):
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                skipped += 1
                continue
            if not isinstance(record, dict):
                skipped += 1
                continue
            batch.append({c: None if record.get(c) is None else str(record[c]) for c in columns})
            if len(batch) == 1_000 or rows + len(batch) >= args.slow_rows:
                flush(pd.DataFrame.from_records(batch, columns=columns))
                rows += len(batch)
                batch = []
                if rows >= args.slow_rows:
                    break
    return {"rows": rows, "skipped_lines": skipped}


def run_ours_ingest(path: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    _env_for(work)
    from comment_etl import pipeline
    from comment_etl.config import load_settings

    settings = load_settings()
    (work / "landing").mkdir(parents=True, exist_ok=True)
    shutil.copy(path, work / "landing" / path.name)
    candidates = pipeline.discover(settings)
    manifests = [pipeline.parse(settings, c, "bench") for c in candidates]
    summary = pipeline.load(settings, manifests, "bench_ingest")
    return {"rows": summary["comments"], "rejects": summary["rejects"]}


def run_language(path: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    import pyarrow as pa

    from comment_etl.formats import reddit
    from comment_etl.formats.base import open_decompressed
    from comment_etl.normalize.language import build_detector, default_workers
    from comment_etl.normalize.text import normalize_text
    from comment_etl.records import Comment, SourceFile

    name = args.detector
    limit = args.slow_rows if name in SLOW_DETECTORS else None
    texts: list[str | None] = []
    with open_decompressed(path) as stream:
        for record in reddit.read(stream, SourceFile(path=str(path), name=path.name)):
            if isinstance(record, Comment):
                texts.append(record.text)
                if limit and len(texts) >= limit:
                    break
    texts = normalize_text(pa.array(texts, pa.string())).to_pylist()
    detector = build_detector(name, workers=default_workers())
    labelled = 0
    try:
        for start in range(0, len(texts), 50_000):
            languages, _ = detector.detect_arrays(texts[start : start + 50_000])
            labelled += len(languages)
    finally:
        detector.close()
    return {"rows": labelled}


def run_ours_full(path: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    _env_for(work)
    from comment_etl import pipeline
    from comment_etl.config import load_settings

    settings = load_settings()
    (work / "landing").mkdir(parents=True, exist_ok=True)
    shutil.copy(path, work / "landing" / path.name)
    return _one_run(pipeline, settings, "day1")


def run_ours_day(path: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The next day on top of ``ours_full``'s warehouse (kept by the parent for this)."""
    _env_for(work)
    from comment_etl import pipeline
    from comment_etl.config import load_settings

    settings = load_settings()
    shutil.copy(path, work / "landing" / path.name)
    return _one_run(pipeline, settings, "day2")


def _one_run(pipeline: Any, settings: Any, load_id: str) -> dict[str, Any]:
    import time

    timings: dict[str, float] = {}
    started = time.perf_counter()
    candidates = pipeline.discover(settings)
    manifests = [pipeline.parse(settings, c, load_id) for c in candidates]
    timings["parse_s"] = time.perf_counter() - started
    summary = pipeline.load(settings, manifests, load_id)
    timings["load_s"] = time.perf_counter() - started - timings["parse_s"]
    mark = time.perf_counter()
    stale = pipeline.marts_are_stale(settings, summary)  # the DAG's short-circuit
    built: dict[str, Any] = pipeline.build_marts(settings) if stale else {}
    timings["dbt_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    if stale:
        pipeline.publish(settings)
    timings["publish_s"] = time.perf_counter() - mark
    return {"rows": summary["comments"], "rejects": summary["rejects"], **timings,
            "dbt_skipped": not stale, "dbt_full_refresh": built.get("full_refresh")}  # fmt: skip


WORKERS = {
    "duckdb_read_json": run_duckdb_read_json,
    "dlt": run_dlt,
    "dlt_parquet": run_dlt_parquet,
    "pandas_langdetect": run_pandas_langdetect,
    "ours_ingest": run_ours_ingest,
    "language": run_language,
    "ours_full": run_ours_full,
    "ours_day": run_ours_day,
}

# --- the parent -----------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    wall: float
    cpu: float
    max_rss_mb: float
    tree_rss_mb: float
    others: float
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def rows(self) -> int:
        return int(self.result.get("rows") or 0)

    @property
    def rate(self) -> float:
        return self.rows / self.wall if self.wall else 0.0


def measure(label: str, worker: str, path: Path, work: Path, args: argparse.Namespace) -> Row:
    work.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, __file__, "--worker", worker, "--input", str(path), "--work", str(work)]
    cmd += ["--slow-rows", str(args.slow_rows), "--detector", args.detector or "fasttext"]
    log_path = DATA / "logs" / f"{label}.log"
    run = run_measured(cmd, log_path=log_path, cwd=REPO)
    output = log_path.read_text(errors="replace")
    results = [line for line in output.splitlines() if line.startswith("RESULT ")]
    row = Row(label, run.wall, run.cpu, run.max_rss_mb, run.tree_rss_mb, run.others)
    if run.returncode == 0 and results:
        row.result = json.loads(results[-1][len("RESULT ") :])
    else:
        tail = [line for line in output.splitlines() if line.strip()][-1:]
        row.error = f"exit {run.returncode}: " + " ".join(tail)[-300:]
    status = row.error or f"{row.rows:,} rows, {row.rate:,.0f} rows/s"
    print(
        f"  {label:<22} {row.wall:7.1f} s wall {row.cpu:7.1f} s CPU peak {row.max_rss_mb:6.0f} MB "
        f"(tree {row.tree_rss_mb:6.0f} MB) {status}",
        flush=True,
    )
    return row


def dumps(rows: int, day_share: float) -> tuple[Path, Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    first = DATA / f"RC_bench_{rows}.ndjson.zst"
    day = DATA / f"RC_bench_{rows}_day.ndjson.zst"
    if not Path(f"{first}.meta.json").exists():
        print(f"generating {first.name} ...", flush=True)
        generate.generate_reddit(first, rows=rows, target_bytes=None)
    if not Path(f"{day}.meta.json").exists():
        print(f"generating {day.name} ...", flush=True)
        extra = max(1, int(rows * day_share))
        generate.generate_reddit(day, rows=extra, target_bytes=None, first=rows)
    return first, day


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--detector", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=1_000_000, help="records in the first dump")
    parser.add_argument("--day-share", type=float, default=0.01, help="the next day's size")
    parser.add_argument("--slow-rows", type=int, default=5_000, help="rows for slow contenders")
    parser.add_argument("--only", nargs="*", help="contender labels to run")
    parser.add_argument("--no-write", action="store_true", help="leave RESULTS.md untouched")
    parser.add_argument("--keep", action="store_true", help="keep the generated dumps")
    args = parser.parse_args(argv)
    if args.worker:
        result = WORKERS[args.worker](Path(args.input), Path(args.work), args)
        print("RESULT " + json.dumps(result, default=str), flush=True)
        return 0

    first, day = dumps(args.rows, args.day_share)
    work = DATA / "work"
    shutil.rmtree(work, ignore_errors=True)
    plan: list[tuple[str, str, Path, str | None]] = [
        ("duckdb_read_json", "duckdb_read_json", first, None),
        ("dlt", "dlt", first, None),
        ("dlt_parquet", "dlt_parquet", first, None),
        ("pandas_langdetect", "pandas_langdetect", first, None),
        ("ours_ingest", "ours_ingest", first, None),
        *[(f"language_{d}", "language", first, d) for d in LANGUAGE_DETECTORS],
        ("ours_full", "ours_full", first, None),
        ("ours_day", "ours_day", day, None),
    ]
    rows: list[Row] = []
    for label, worker, path, detector in plan:
        if args.only and label not in args.only:
            continue
        args.detector = detector
        # The next day runs on the full run's folder (its warehouse); every other starts empty.
        folder = work / ("ours_full" if label == "ours_day" else label)
        rows.append(measure(label, worker, path, folder, args))
        if label not in ("ours_full",):
            shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    if not args.keep:
        for path in (first, day):
            path.unlink(missing_ok=True)
            Path(f"{path}.meta.json").unlink(missing_ok=True)
    meta = generate.load_expected(first) if first.exists() else {}
    text = render(rows, args, meta)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text)
    (DATA / "results.json").write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return 0 if all(r.error is None for r in rows) else 1


def _ratio(ours: Row | None, other: Row) -> str:
    if ours is None or other.error or not other.rate or not ours.rate:
        return "–"
    return f"{other.rate / ours.rate:.2f}x"


def render(rows: list[Row], args: argparse.Namespace, meta: dict[str, Any]) -> str:
    by_label = {r.label: r for r in rows}
    ours = by_label.get("ours_ingest")
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# End-to-end benchmark",
        "",
        f"Command: `python bench/pipeline/run.py --rows {args.rows}` (`make bench` runs it with "
        "the others). Date: " + now + f". Machine: {machine()}, shared with other work: wall "
        "times move with the load (*others* = cores the rest of the machine kept busy), CPU "
        "seconds and ratios much less.",
        "",
        f"Input: a generated Reddit NDJSON `.zst` dump of {args.rows:,} records "
        "(`bench/parse/generate.py`: ten languages, replies, type drift, one invalid line in "
        "5,000); the next day: "
        f"{max(1, int(args.rows * args.day_share)):,} more records continuing it.",
        "",
        "| contender | rows | wall s | CPU s | peak RSS MB (process) | tree MB | rows/s "
        "| ours ingest rows/s / theirs | others |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.error:
            lines.append(f"| {r.label} | FAILED: {r.error} | | | | | | | |")
            continue
        lines.append(
            f"| {r.label} | {r.rows:,} | {r.wall:.1f} | {r.cpu:.1f} | {r.max_rss_mb:.0f} | "
            f"{r.tree_rss_mb:.0f} | {r.rate:,.0f} | "
            f"{_ratio(r, ours) if ours and r.label in ALTERNATIVES else '–'} | "
            f"{r.others:.1f} |"
        )
    full, day = by_label.get("ours_full"), by_label.get("ours_day")
    if full and day and not (full.error or day.error):
        lines += [
            "",
            f"Whole pipeline: {full.wall:.1f} s (parse {full.result.get('parse_s', 0):.1f} s, "
            f"load {full.result.get('load_s', 0):.1f} s, dbt {full.result.get('dbt_s', 0):.1f} "
            f"s, publish {full.result.get('publish_s', 0):.1f} s). The next day: "
            f"{day.wall:.1f} s = {100 * day.wall / full.wall:.0f} % of the full run's wall, "
            f"{100 * day.cpu / full.cpu:.0f} % of its CPU (dbt "
            f"{day.result.get('dbt_s', 0):.1f} s, "
            + ("a full rebuild" if day.result.get("dbt_full_refresh") else "incremental")
            + ").",
        ]
    lines += [
        "",
        "Slow contenders (`pandas_langdetect`, `language_langdetect`, `language_lingua`) run on "
        f"the first {args.slow_rows:,} rows only; compare their rows/s.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

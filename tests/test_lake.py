"""Lake mode for real: a Postgres catalog on a server the tests start on 127.0.0.1, Parquet files
in the test's folder, real processes, a real `dbt build`, the real DAG under `dag.test()`.

What each test proves, and how it was checked that it can fail, is said in its docstring.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pytest

from comment_etl import pipeline
from comment_etl.config import Settings, load_settings
from comment_etl.warehouse.connect import connect, scalar
from comment_etl.warehouse.publish import bi_source, published_version
from comment_etl.warehouse.target import Lake
from tests.conftest import FIXTURES, REPO, SEED_PAGE, load_script
from tests.dag_runner import run_dag, task_states

YTCD_DUMP = FIXTURES / "daily" / "Xk3vTq9LmPw.jsonl"
SAMPLES = [SEED_PAGE, *sorted((REPO / "samples" / "formats").iterdir())]
DAY1 = datetime(2026, 11, 20, tzinfo=UTC)
STAGING = ("contents", "comments", "rejects", "load_ledger", "language_cache")
#: Records per generated Reddit dump: big enough that parsing and staging one takes seconds.
ROWS = 20_000
INVALID_EVERY = 1_000


@functools.cache
def _load_generator() -> ModuleType:
    """The parsing benchmark's deterministic dump generator (it writes what it says it wrote)."""
    return load_script("bench_parse_generate", REPO / "bench" / "parse" / "generate.py")


@pytest.fixture
def lake(lake_env, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings of a fresh lake (`lake_env`); files are taken as soon as they land, and
    languages labelled by fastText alone (the quickest detector; both modes of a comparison
    use it)."""
    monkeypatch.setenv("COMMENTS_LANDING_QUIET_SECONDS", "0")
    monkeypatch.setenv("COMMENTS_LANGUAGE_DETECTOR", "fasttext")
    settings = load_settings()
    assert isinstance(settings.warehouse, Lake)
    return settings


def reddit_dump(settings: Settings, folder: Path, name: str, first: int) -> dict[str, Any]:
    """A generated Reddit dump moved into the landing folder; returns what the generator wrote
    (its .meta.json stays outside the landing folder, or it would be a dump too)."""
    generate = _load_generator()
    path = folder / name
    expected = generate.generate_reddit(
        path, rows=ROWS, target_bytes=None, invalid_every=INVALID_EVERY, first=first
    )
    shutil.move(path, settings.landing_dir / name)
    return {"comments": expected.comments, "rejects": expected.rejects}


def query(lake: Lake, sql: str, params: object = None) -> list[tuple]:
    with connect(lake, read_only=True) as con:
        return con.execute(sql, params).fetchall()


def staging_counts(lake: Lake) -> dict[str, int]:
    with connect(lake, read_only=True) as con:
        return {t: int(scalar(con, f"select count(*) from staging.{t}")) for t in STAGING}


def per_file(lake: Lake) -> dict[str, tuple[int, int, int, int, str, int, int]]:
    """source_file -> (comments, distinct comment ids, rejects, ledger rows, ledger status,
    ledger rows_loaded, ledger rows_rejected)."""
    rows = query(
        lake,
        """
        select l.source_file,
               (select count(*) from staging.comments c where c.source_file = l.source_file),
               (select count(distinct (c.platform, c.content_id, c.comment_id))
                  from staging.comments c where c.source_file = l.source_file),
               (select count(*) from staging.rejects r where r.source_file = l.source_file),
               count(*) over (partition by l.source_file),
               l.status, l.rows_loaded, l.rows_rejected
        from staging.load_ledger l order by 1
        """,
    )
    return {row[0]: tuple(row[1:]) for row in rows}  # type: ignore[misc]


def staged_once(want: dict[str, int]) -> tuple[int, int, int, int, str, int, int]:
    """`per_file`'s row of a file staged exactly once with the generator's counts: each
    comment once, its rejects, one `loaded` ledger row that says the same."""
    comments, rejects = want["comments"], want["rejects"]
    return (comments, comments, rejects, 1, "loaded", comments, rejects)


def data_files(folder: Path) -> set[Path]:
    return set(folder.rglob("*.parquet"))


def catalog_files(lake: Lake) -> set[Path]:
    """The Parquet files the catalog knows (data and delete files, of every snapshot), as
    absolute paths: a relative path is relative to its table's, that to its schema's, that to
    the data path."""
    meta = "__ducklake_metadata_lake"
    rows = query(
        lake,
        f"""
        select s.path, s.path_is_relative, t.path, t.path_is_relative, f.path, f.path_is_relative
        from (select table_id, path, path_is_relative from {meta}.ducklake_data_file
              union all
              select table_id, path, path_is_relative from {meta}.ducklake_delete_file) f
        join (select distinct table_id, schema_id, path, path_is_relative
              from {meta}.ducklake_table) t using (table_id)
        join (select distinct schema_id, path, path_is_relative
              from {meta}.ducklake_schema) s using (schema_id)
        """,
    )
    found = set()
    for schema, schema_relative, table, table_relative, path, relative in rows:
        base = Path(lake.data_path)
        schema_dir = base / schema if schema_relative else Path(schema)
        table_dir = schema_dir / table if table_relative else Path(table)
        found.add(table_dir / path if relative else Path(path))
    return found


# --- a parse task in a process of its own, with a hold point inside its load transaction ------

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path

    from comment_etl import pipeline
    from comment_etl.config import load_settings
    from comment_etl.warehouse import load

    candidate, run_key = json.loads(sys.argv[1]), sys.argv[2]
    ready, go, inside, out = (Path(p) for p in sys.argv[3:7])
    hold_until = [Path(p) for p in sys.argv[7:]]
    staging = load._load_parsed

    def wait_for(paths, what):
        deadline = time.monotonic() + 300
        while not all(p.exists() for p in paths):
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited 300 s for {what}")
            time.sleep(0.02)

    def held(con, manifest, load_id, now):
        # The file's rows are written in the open transaction, not committed: say so, then
        # hold until every file named in hold_until exists.
        counts = staging(con, manifest, load_id, now)
        inside.write_text("inside")
        wait_for(hold_until, "the other processes")
        return counts

    load._load_parsed = held
    settings = load_settings()
    ready.write_text("ready")
    wait_for([go], "the start signal")
    out.write_text(json.dumps(pipeline.parse(settings, candidate, run_key)))
    """
)


class ParseTask:
    """`pipeline.parse` of one candidate in a child process (the environment is the test's)."""

    def __init__(
        self, folder: Path, name: str, candidate: dict[str, Any], run_key: str, go: Path
    ) -> None:
        self.ready, self.inside, self.out = (folder / f"{name}.{s}" for s in ("ready", "in", "out"))
        self.args = [json.dumps(candidate), run_key, self.ready, go, self.inside, self.out]
        self.proc: subprocess.Popen[str] | None = None

    def start(self, hold_until: list[Path]) -> None:
        command = [sys.executable, "-c", CHILD, *map(str, self.args), *map(str, hold_until)]
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def wait_for(self, path: Path, timeout: float = 300) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while not path.exists():
            if self.proc.poll() is not None:
                raise AssertionError(f"child exited {self.proc.returncode}: {self.output()}")
            assert time.monotonic() < deadline, f"no {path.name} after {timeout} s"
            time.sleep(0.02)

    def finish(self, timeout: float = 300) -> dict[str, Any]:
        assert self.proc is not None
        self.proc.wait(timeout=timeout)
        assert self.proc.returncode == 0, self.output()
        return json.loads(self.out.read_text())

    def output(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        return self.proc.stdout.read().decode(errors="replace")[-4000:]

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_two_parse_tasks_append_at_once(lake: Settings, tmp_path: Path) -> None:
    """Two processes parse and stage a file each, with the same run key, and both hold their
    load transaction open (rows written, not committed) until the other one has too: the two
    commits really race. Each file is staged exactly once with its own ledger row.

    Checked that it can fail: with `load._load_parsed` committing right after its contents
    insert (a load that is not one transaction), the "nothing visible while both are open"
    assertion fails (1098 contents visible). The overlap itself is not left to timing: each
    child writes its `.in` file only once its rows are written, and commits only when both
    `.in` files and the test's `release` file exist.
    """
    expected = {
        "RC_2025-01_a.ndjson.zst": reddit_dump(lake, tmp_path, "RC_2025-01_a.ndjson.zst", 0),
        "RC_2025-01_b.ndjson.zst": reddit_dump(lake, tmp_path, "RC_2025-01_b.ndjson.zst", ROWS),
    }
    candidates = pipeline.discover(lake)  # creates the staging schema once
    assert sorted(c["source_file"] for c in candidates) == sorted(expected)
    run_key = "manual__2026-11-20T00:00:00+00:00"
    go, release = tmp_path / "go", tmp_path / "release"
    tasks = [ParseTask(tmp_path, f"task{i}", c, run_key, go) for i, c in enumerate(candidates)]
    try:
        for task in tasks:
            task.start(hold_until=[*(t.inside for t in tasks), release])
        for task in tasks:
            task.wait_for(task.ready)
        go.write_text("go")  # both parse at the same time
        for task in tasks:
            task.wait_for(task.inside)
        # Both transactions are open now, each with its file's rows written: nothing is
        # visible yet. Then both commit at once.
        assert staging_counts(lake.warehouse) == dict.fromkeys(STAGING, 0)
        release.write_text("commit")
        manifests = [task.finish() for task in tasks]
    finally:
        for task in tasks:
            task.kill()

    for manifest in manifests:
        staged = manifest["staged"]
        want = expected[manifest["source_file"]]
        assert (staged["files_loaded"], staged["comments"], staged["rejects"]) == (
            1,
            want["comments"],
            want["rejects"],
        )
    files = per_file(lake.warehouse)
    assert files == {name: staged_once(want) for name, want in expected.items()}
    assert query(lake.warehouse, "select distinct load_id from staging.load_ledger") == [(run_key,)]
    # No comment twice across the two files either (their record numbers do not overlap).
    assert query(
        lake.warehouse,
        "select count(*) - count(distinct (platform, content_id, comment_id)) "
        "from staging.comments",
    ) == [(0,)]
    before = staging_counts(lake.warehouse)

    summary = pipeline.load(lake, manifests, run_key)
    assert summary["files_loaded"] == 2
    assert summary["files_skipped"] == summary["files_failed"] == 0
    assert summary["comments"] == sum(want["comments"] for want in expected.values())
    assert summary["rejects"] == sum(want["rejects"] for want in expected.values())
    assert staging_counts(lake.warehouse) == before  # load only counts what the tasks staged


def test_a_parse_task_killed_mid_load_leaves_nothing_and_its_rerun_counts_exactly(
    lake: Settings, tmp_path: Path
) -> None:
    """SIGKILL while the load transaction is open (the file's rows written, not committed):
    nothing of it is visible; the retried task stages it with exact counts. The Parquet files
    the killed transaction wrote stay in the data path as orphans until
    `ducklake_delete_orphaned_files` removes them (and it removes nothing live);
    `ducklake_cleanup_old_files` does not (it removes files of expired snapshots only).

    Checked that it can fail: with `load._load_parsed` committing right after its contents
    insert, the contents of the killed task are visible after the kill (548 rows, not 0).
    """
    name = "RC_2025-01_kill.ndjson.zst"
    want = reddit_dump(lake, tmp_path, name, 0)
    (candidate,) = pipeline.discover(lake)
    run_key = "manual__2026-11-20T00:00:00+00:00"
    data_path = Path(lake.warehouse.data_path)
    go, never = tmp_path / "go", tmp_path / "never"
    task = ParseTask(tmp_path, "killed", candidate, run_key, go)
    before_kill = data_files(data_path)
    try:
        task.start(hold_until=[never])
        go.write_text("go")
        task.wait_for(task.inside)
        written = data_files(data_path) - before_kill
        assert task.proc is not None
        os.kill(task.proc.pid, signal.SIGKILL)
        task.proc.wait(timeout=60)
        assert task.proc.returncode == -signal.SIGKILL
    finally:
        task.kill()
    print("Parquet files the killed transaction wrote:", sorted(map(str, written)))

    assert staging_counts(lake.warehouse) == dict.fromkeys(STAGING, 0)
    orphans = data_files(data_path) - catalog_files(lake.warehouse)
    assert orphans == written

    manifest = pipeline.parse(lake, candidate, run_key)  # the retried task
    assert manifest["staged"]["files_loaded"] == 1
    assert per_file(lake.warehouse) == {name: staged_once(want)}
    summary = pipeline.load(lake, [manifest], run_key)
    assert (summary["files_loaded"], summary["comments"], summary["rejects"]) == (
        1,
        want["comments"],
        want["rejects"],
    )
    live = catalog_files(lake.warehouse)
    assert live and live <= data_files(data_path)
    assert data_files(data_path) - live == written  # the orphans are still there

    with connect(lake.warehouse) as con:
        con.execute("call ducklake_cleanup_old_files('lake', cleanup_all => true)")
        after_old_files = data_files(data_path)
        con.execute("call ducklake_delete_orphaned_files('lake', cleanup_all => true)")
    print("left after ducklake_cleanup_old_files:", len(after_old_files - live), "orphans")
    assert data_files(data_path) == live  # orphans gone, every live file kept
    assert per_file(lake.warehouse) == {name: staged_once(want)}


def land_samples(landing: Path) -> list[str]:
    """One sample of every supported format (what `make demo-all` loads)."""
    for sample in SAMPLES:
        shutil.copy(sample, landing)
    return sorted(sample.name for sample in SAMPLES)


def stage(settings: Settings, run_key: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """discover, parse every new file, load: the DAG's first steps, in this process; returns
    (the candidates discover found, the load summary)."""
    candidates = pipeline.discover(settings)
    manifests = [pipeline.parse(settings, candidate, run_key) for candidate in candidates]
    return candidates, pipeline.load(settings, manifests, run_key)


def test_rerunning_a_day_changes_nothing(lake: Settings) -> None:
    """The same landing folder twice: the second run finds no new file and loads nothing; a
    parse task retried after its commit stages nothing again; every staging table (and the
    lake's data files) stay as they were.

    Checked that it can fail: with `known_sha256` returning an empty set (discover forgets the
    ledger), the second discover returns all six files again and the test fails there.
    """
    names = land_samples(lake.landing_dir)
    candidates, first = stage(lake, "day1")
    assert sorted(c["source_file"] for c in candidates) == names
    assert first["files_loaded"] == len(names) and first["files_skipped"] == 0
    counts = staging_counts(lake.warehouse)
    assert counts["load_ledger"] == len(names) and counts["comments"] == first["comments"] > 0
    files = data_files(Path(lake.warehouse.data_path))

    again, second = stage(lake, "day1-again")
    assert again == []
    assert (second["files_loaded"], second["comments"], second["rejects"]) == (0, 0, 0)

    # A parse task retried after its transaction committed (its XCom was lost, say).
    retry = pipeline.parse(lake, candidates[0], "day1")
    assert retry["staged"]["files_skipped"] == 1 and retry["staged"]["files_loaded"] == 0
    assert staging_counts(lake.warehouse) == counts
    assert data_files(Path(lake.warehouse.data_path)) == files


#: The mart columns that say in which run, and when, a row was loaded: the two runs compared
#: have their own run keys and clocks whatever the warehouse, so these differ and are checked
#: for being exactly the run's own (every other column must be equal).
RUN_COLUMNS = {
    ("dim_contents", "latest_load_id"),
    ("dim_contents", "first_ingested_at"),
    ("dim_contents", "last_ingested_at"),
    ("fct_comments", "load_id"),
    ("fct_comments", "ingested_at"),
}


def mart_columns(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[tuple[str, str]]]:
    """table -> (column, type) in order, of the base tables of schema `marts` of `catalog`."""
    rows = con.execute(
        "select c.table_name, c.column_name, c.data_type from information_schema.columns c "
        "join information_schema.tables t using (table_catalog, table_schema, table_name) "
        "where c.table_catalog = ? and c.table_schema = 'marts' and t.table_type = 'BASE TABLE' "
        "order by c.table_name, c.ordinal_position",
        [catalog],
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        tables.setdefault(table, []).append((column, kind))
    return tables


def test_lake_marts_equal_file_marts_on_the_same_dumps(
    lake: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The samples of every format through discover, parse, load, build_marts and publish,
    once into a DuckDB file and once into the lake: every table of `marts` as BI reads it (the
    file snapshot; the lake at its published snapshot) holds the same rows, compared with
    EXCEPT ALL both ways on every column but the run's load ids and times (RUN_COLUMNS).

    Checked that it can fail: adding 1 to one lake staging comment's like_count before its
    dbt build leaves every row count equal, and the EXCEPT ALL names the rows that differ in
    fct_comments, fct_engagement_by_content, fct_engagement_daily and fct_language_mix.
    """
    land_samples(lake.landing_dir)
    lake_settings = lake
    file_warehouse = tmp_path / "file-mode" / "comments.duckdb"
    monkeypatch.setenv("COMMENTS_WAREHOUSE", str(file_warehouse))
    monkeypatch.setenv("COMMENTS_BI_SNAPSHOT", str(tmp_path / "file-mode" / "comments_bi.duckdb"))
    monkeypatch.setenv("COMMENTS_DBT_TARGET_DIR", str(tmp_path / "file-mode" / "dbt_target"))
    file_settings = load_settings()
    assert file_settings.lake is None

    results = {}
    for mode, settings in (("file", file_settings), ("lake", lake_settings)):
        _, summary = stage(settings, f"{mode}-run")
        assert pipeline.marts_are_stale(settings, summary)
        pipeline.build_marts(settings)
        results[mode] = (summary, pipeline.publish(settings))
    file_summary, file_rows = results["file"]
    lake_summary, lake_rows = results["lake"]
    for summary in (file_summary, lake_summary):
        del summary["load_id"]
    assert lake_summary == file_summary
    assert lake_rows == file_rows and file_rows["fct_comments"] > 0

    published = bi_source(lake_settings.warehouse, lake_settings.bi_snapshot)
    assert isinstance(published, Lake) and published.snapshot_version is not None
    differences = {}
    with connect(published, read_only=True) as con:
        con.execute(f"attach '{file_settings.bi_snapshot}' as file_bi (read_only)")
        file_tables, lake_tables = mart_columns(con, "file_bi"), mart_columns(con, "lake")
        assert lake_tables == file_tables
        present = {(t, c) for t, columns in file_tables.items() for c, _ in columns}
        assert present >= RUN_COLUMNS  # named exclusions only, none stale
        for table, column in sorted(RUN_COLUMNS):
            if column.endswith("load_id"):  # the run's own key, in each warehouse
                for catalog, run_key in (("file_bi", "file-run"), ("lake", "lake-run")):
                    assert con.execute(
                        f'select distinct "{column}" from {catalog}.marts."{table}"'
                    ).fetchall() == [(run_key,)]
        for table, columns in file_tables.items():
            select = ", ".join(f'"{c}"' for c, _ in columns if (table, c) not in RUN_COLUMNS)
            for left, right in (("file_bi", "lake"), ("lake", "file_bi")):
                extra = con.execute(
                    f'select {select} from {left}.marts."{table}" except all '
                    f'select {select} from {right}.marts."{table}" limit 5'
                ).fetchall()
                if extra:
                    differences[f"{table}: only in {left}"] = extra
    assert not differences, "\n".join(f"{k}: {v}" for k, v in differences.items())


@pytest.mark.usefixtures("airflow_db")
def test_daily_dag_in_lake_mode_end_to_end(lake: Settings) -> None:
    """The real `comments_daily` DAG under `dag.test()` on a lake: every task green, each parse
    task staged its own file, the marts are built and published (the snapshot id recorded,
    readers pinned to it); the same day again loads nothing and skips dbt and publish.

    Checked that it can fail: with `marts_are_stale` answering True whatever it sees, the
    second run builds again and the test fails on `states["dbt_build"]` ("success", not
    "skipped").
    """
    shutil.copy(SEED_PAGE, lake.landing_dir)
    shutil.copy(YTCD_DUMP, lake.landing_dir)
    first = run_dag(DAY1)
    states = task_states(first)
    assert str(first.state) == "success", states
    assert set(states.values()) == {"success"}, states
    assert {task for task in states if task.startswith("parse[")} == {"parse[0]", "parse[1]"}

    warehouse = lake.warehouse
    assert isinstance(warehouse, Lake)
    ledger = query(
        warehouse,
        "select source_file, status, rows_loaded, rows_rejected from staging.load_ledger "
        "order by 1",
    )
    assert ledger == [
        ("Xk3vTq9LmPw.jsonl", "loaded", 5, 0),
        ("perseverance_landing_page.txt", "loaded", 12, 0),
    ]
    version = published_version(warehouse)
    assert version is not None
    published = warehouse.at(version)
    assert query(published, "select count(*) from marts.fct_comments") == [(17,)]
    assert query(published, "select count(*) from marts.dim_contents") == [(2,)]
    assert query(
        published,
        "select replies from marts.fct_engagement_by_content where content_id = 'Xk3vTq9LmPw'",
    ) == [(2,)]
    counts = staging_counts(warehouse)
    # The record of a publish is written after the snapshot it names (so not in it).
    assert query(published, "select count(*) from bi.published_snapshots") == [(0,)]
    records = query(warehouse, "select snapshot_id, mart_rows from bi.published_snapshots")
    assert [(snapshot, json.loads(rows)["fct_comments"]) for snapshot, rows in records] == [
        (version, 17)
    ]

    second = run_dag(DAY1)
    states = task_states(second)
    assert str(second.state) == "success", states
    assert states["dbt_build"] == states["publish"] == "skipped", states
    assert states["load_staging"] == states["marts_stale"] == "success", states
    assert staging_counts(warehouse) == counts
    assert published_version(warehouse) == version


def test_two_attempts_of_one_parse_task_at_once_stage_the_file_once(
    lake: Settings, tmp_path: Path
) -> None:
    """The same candidate in two processes (a task Airflow thinks dead, still running while its
    retry starts): the first holds its load transaction open; the second must wait (the
    per-file advisory lock of `load._staging_locks`) instead of entering its own, then find
    the first one's ledger row and stage nothing. The file is staged once.

    Checked that it can fail: with `_staging_locks` turned into a no-op, no attempt waits for
    the lock (the test fails there). Before the lock existed, both attempts entered their
    transactions at once and the file was staged twice (10 comments, 2 ledger rows).
    """
    shutil.copy(YTCD_DUMP, lake.landing_dir)
    (candidate,) = pipeline.discover(lake)
    run_key = "manual__2026-11-20T00:00:00+00:00"
    go, release = tmp_path / "go", tmp_path / "release"
    first, second = (ParseTask(tmp_path, f"attempt{i}", candidate, run_key, go) for i in (1, 2))
    try:
        first.start(hold_until=[release])
        first.wait_for(first.ready)
        go.write_text("go")
        first.wait_for(first.inside)  # the first attempt's rows are written, not committed
        second.start(hold_until=[])  # the retry starts while the first attempt still runs
        wait_for_advisory_lock_waiter(lake)  # the second parsed its copy and waits to stage
        assert not second.inside.exists(), "the second attempt staged while the first held"
        assert second.proc is not None and second.proc.poll() is None
        release.write_text("commit")
        staged = [first.finish()["staged"], second.finish()["staged"]]
    finally:
        first.kill()
        second.kill()
    assert [s["files_loaded"] for s in staged] == [1, 0]
    assert [s["files_skipped"] for s in staged] == [0, 1]
    assert not second.inside.exists()
    assert per_file(lake.warehouse) == {"Xk3vTq9LmPw.jsonl": (5, 5, 0, 1, "loaded", 5, 0)}


def wait_for_advisory_lock_waiter(settings: Settings, timeout: float = 180) -> None:
    """Until a session of the catalog's Postgres waits for an advisory lock."""
    import psycopg

    assert isinstance(settings.warehouse, Lake)
    conninfo = settings.warehouse.postgres_conninfo
    assert conninfo is not None
    deadline = time.monotonic() + timeout
    with psycopg.connect(conninfo, autocommit=True) as session:
        while True:
            row = session.execute(
                "select count(*) from pg_locks where locktype = 'advisory' and not granted"
            ).fetchone()
            if row and row[0]:
                return
            assert time.monotonic() < deadline, f"no attempt waited for the lock in {timeout} s"
            time.sleep(0.1)

"""Readers of the published data in lake mode: the report, the mart summary, dbt freshness/docs,
a BI session, and a BI reader querying through a whole run.

One lake (a real Postgres catalog on 127.0.0.1, Parquet files in a temp folder) is built once
for the module with the pipeline's own steps: run 1 publishes the seed page; run 2 loads more
dumps, rebuilds the marts and publishes again while a reader thread queries the published data
in a loop. Every test then reads that lake; nothing here writes to it after the fixture.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from comment_etl.bi import NothingPublished, attach_statements, describe, published_source
from comment_etl.config import load_settings
from comment_etl.report.build import DOCS, LATEST, build_report, reports_dir
from comment_etl.report.queries import read_report_data
from comment_etl.summary import main as summary_main
from comment_etl.warehouse.connect import connect, ledger_fingerprint, scalar
from comment_etl.warehouse.publish import bi_source
from comment_etl.warehouse.target import LAKE_SCHEME, Lake, Warehouse
from tests.conftest import FIXTURES, REPO, SEED_PAGE
from tests.dag_runner import run_dag, task_states
from tests.reliability.helpers import make_settings, run_steps

#: Run 2's new dumps: three formats, more comments than run 1.
SECOND_RUN = [
    FIXTURES / "daily" / "Xk3vTq9LmPw.jsonl",
    REPO / "samples" / "formats" / "jNQXAC9IVRw.jsonl",
    REPO / "samples" / "formats" / "RC_2025-01_sample.ndjson",
]


@dataclass(frozen=True)
class State:
    """What a BI reader sees: rows of the comments mart and the load ledger's digest."""

    comments: int
    ledger: str | None


#: The load ledger's digest (as `ledger_fingerprint` computes it), read in the same session as
#: the mart so that one observation is one snapshot.
LEDGER_DIGEST = (
    "select count(*) || ':' || coalesce(md5(string_agg(sha256 || ':' || load_id || ':' || "
    "status, ',' order by sha256, load_id)), '') from staging.load_ledger"
)


def read_state(con: duckdb.DuckDBPyConnection) -> State:
    comments = int(scalar(con, "select count(*) from marts.fct_comments"))
    return State(comments, str(scalar(con, LEDGER_DIGEST)))


def observe(target: Warehouse) -> State:
    """Read `target` the way a BI query would (a pinned lake reads one snapshot throughout)."""
    with connect(target, read_only=True) as con:
        return read_state(con)


class Reader(threading.Thread):
    """Queries in a loop what BI reads (`bi_source`), and, to show the check can fail, the
    lake's latest committed snapshot (what a reader that does not pin would see)."""

    def __init__(self, lake: Lake, snapshot: Path) -> None:
        super().__init__(name="bi-reader", daemon=True)
        self.lake, self.snapshot = lake, snapshot
        self.stop = threading.Event()
        self.published: list[tuple[int | None, State | str]] = []
        self.latest: list[tuple[int | None, State | str]] = []

    def run(self) -> None:
        while not self.stop.wait(0.1):
            self.published.append(self._published())
            self.latest.append(self._latest())

    def _published(self) -> tuple[int | None, State | str]:
        version = None
        try:
            source = bi_source(self.lake, self.snapshot)
            assert isinstance(source, Lake), source
            version = source.snapshot_version
            return version, observe(source)
        except Exception as exc:  # recorded: the test names the read that failed and why
            return version, f"{type(exc).__name__}: {exc}"

    def _latest(self) -> tuple[int | None, State | str]:
        """The lake as it is now, un-pinned: one transaction reads one snapshot."""
        try:
            with connect(self.lake, read_only=True) as con:
                con.execute("begin transaction")
                version = int(scalar(con, "select id from lake.current_snapshot()"))
                state = read_state(con)
                con.execute("commit")
            return version, state
        except Exception as exc:  # a table dropped and re-created mid-build, say
            return None, f"{type(exc).__name__}: {exc}"


def new_catalog(server) -> str:
    """A fresh catalog database on the test Postgres (as `lake_env` makes one)."""
    import psycopg

    database = f"lake_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.url(driver="postgresql"), autocommit=True) as con:
        con.execute(f'create database "{database}"')
    return f"postgres:dbname={database} host=127.0.0.1 port={server.port} user={server.user}"


@pytest.fixture(scope="module")
def built(lake_server, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("lake_bi")
    lake = Lake(new_catalog(lake_server), f"{root / 'lake'}/")
    settings = make_settings(root, warehouse=lake)
    with pytest.MonkeyPatch.context() as mp:
        # The same settings for what reads them from the environment (the CLIs, the DAG).
        mp.setenv("PGPASSWORD", lake_server.password)
        mp.setenv("COMMENTS_WAREHOUSE", LAKE_SCHEME + lake.catalog)
        mp.setenv("COMMENTS_LAKE_DATA_PATH", lake.data_path)
        mp.setenv("COMMENTS_BI_SNAPSHOT", str(settings.bi_snapshot))
        mp.setenv("COMMENTS_LANDING_DIR", str(settings.landing_dir))
        mp.setenv("COMMENTS_WORK_DIR", str(settings.work_dir))
        mp.setenv("COMMENTS_DBT_TARGET_DIR", str(settings.dbt_target_dir))

        shutil.copy(SEED_PAGE, settings.landing_dir)
        started = time.monotonic()
        run_steps(settings, "run_1", build=True)
        print(f"run 1: {time.monotonic() - started:.1f}s")
        first_source = published_source(lake, settings.bi_snapshot)
        first = observe(first_source)

        for dump in SECOND_RUN:
            shutil.copy(dump, settings.landing_dir)
        reader = Reader(lake, settings.bi_snapshot)
        reader.start()
        started = time.monotonic()
        try:
            run_steps(settings, "run_2", build=True)
            run_s = time.monotonic() - started
            print(f"run 2 (with the reader): {run_s:.1f}s, {len(reader.published)} reads")
            second_source = published_source(lake, settings.bi_snapshot)
            second = observe(second_source)
            # Let the reader see the new publish once (a BI dashboard's next refresh).
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(
                version == second_source.snapshot_version for version, _ in reader.published
            ):
                time.sleep(0.2)
        finally:
            reader.stop.set()
            reader.join(timeout=60)
        yield {
            "settings": settings,
            "lake": lake,
            "password": lake_server.password,
            "first": (first_source, first),
            "second": (second_source, second),
            "reader": reader,
            "run_s": run_s,
        }


def test_a_bi_reader_during_a_run_sees_only_published_snapshots(built):
    (first_source, first), (second_source, second) = built["first"], built["second"]
    reader: Reader = built["reader"]
    assert first != second and second.comments > first.comments, (first, second)
    assert second.ledger == ledger_fingerprint(second_source)  # the pipeline's own digest
    published = {first_source.snapshot_version: first, second_source.snapshot_version: second}

    seen = reader.published
    errors = [obs for obs in seen if isinstance(obs[1], str)]
    assert errors == [], errors[:3]
    # Every read is one published state, whole: never a half-built one.
    assert all(published.get(version) == state for version, state in seen), [
        obs for obs in seen if published.get(obs[0]) != obs[1]
    ][:3]
    # It read all through the run (the first publish) and then the new one, never going back.
    versions = [version for version, _ in seen]
    assert versions[0] == first_source.snapshot_version
    assert versions[-1] == second_source.snapshot_version
    assert versions == sorted(versions)
    assert versions.count(first_source.snapshot_version) >= 3, (len(seen), built["run_s"])

    # The same reads of the un-pinned lake did see what was in between (staging loaded while
    # the marts were old or half rebuilt): had bi_source returned the un-pinned lake, the
    # assertions above would have failed.
    between = [
        state
        for _, state in reader.latest
        if isinstance(state, State) and state not in (first, second)
    ]
    assert between, reader.latest
    assert any(
        state.ledger != first.ledger and state.comments == first.comments for state in between
    )


def test_report_renders_from_the_published_lake_snapshot(built):
    settings, lake = built["settings"], built["lake"]
    source, state = built["second"]
    out = reports_dir(settings.bi_snapshot)
    path = build_report(source, "manual__2026-11-30T10:00:00+00:00", out_dir=out)
    assert path.parent == out and (out / LATEST).read_bytes() == path.read_bytes()

    data = read_report_data(source)
    with connect(lake, read_only=True) as con:
        committed = scalar(
            con,
            "select snapshot_time from lake.snapshots() where snapshot_id = ?",
            [source.snapshot_version],
        )
        contents = scalar(
            con,
            f"select count(*) from marts.dim_contents at (version => {source.snapshot_version})",
        )
    assert data.snapshot_id == source.snapshot_version
    assert data.snapshot_mtime == committed.astimezone(UTC)
    assert len(data.contents) == contents and data.missing == []
    assert sum(row["files"] for row in data.files) == int(state.ledger.split(":")[0])

    page = path.read_text()
    when = data.snapshot_mtime.strftime("%Y-%m-%d %H:%M UTC")
    assert f"lake snapshot {source.snapshot_version} of {when}" in page
    assert built["password"] not in page

    # Pinned means pinned: the first publish still reads as it was.
    older = read_report_data(built["first"][0])
    assert older.snapshot_id == built["first"][0].snapshot_version
    assert len(older.contents) < len(data.contents)


def test_report_of_an_unpinned_lake_is_refused(built):
    with pytest.raises(ValueError, match="not pinned"):
        read_report_data(built["lake"])
    with pytest.raises(ValueError, match="out_dir"):
        build_report(built["second"][0], "run")


def test_mart_summary_renders_from_the_lake(built, capsys: pytest.CaptureFixture[str]):
    source, state = built["second"]
    assert summary_main([]) == 0
    printed = capsys.readouterr().out
    assert f"@{source.snapshot_version}" in printed
    assert f"Lake snapshot {source.snapshot_version}, committed" in printed
    assert f"marts.{'fct_comments':<28} {state.comments:>8}" in printed
    assert built["password"] not in printed


@pytest.mark.usefixtures("airflow_db")
def test_report_dag_reads_the_published_lake_snapshot(built):
    """comments_report with dag.test(): freshness, docs and the page, all from the lake."""
    settings, (source, _) = built["settings"], built["second"]
    run = run_dag(datetime(2026, 11, 30, tzinfo=UTC), "comments_report")
    states = task_states(run)
    assert str(run.state) == "success", states
    assert states == {"freshness": "success", "dbt_docs": "success", "build_report": "success"}
    # Lake mode writes no snapshot file, so dbt's `snapshot` target could not have read one:
    # freshness and docs ran on `lake_snapshot`.
    assert not settings.bi_snapshot.exists()
    out = reports_dir(settings.bi_snapshot)
    page = (out / LATEST).read_text()
    assert f"lake snapshot {source.snapshot_version} of" in page
    assert re.search(r"<th>dbt source freshness</th><td>(pass|warn)</td>", page), page[-3000:]
    assert "comments.load_ledger" in page
    assert built["password"] not in page
    assert (out / DOCS).stat().st_size > 100_000 and 'href="dbt_docs.html"' in page
    catalog = settings.dbt_target_dir / "docs" / "target" / "catalog.json"
    assert '"model.comments_warehouse.fct_comments"' in catalog.read_text()


def test_bi_cli_prints_an_attach_a_fresh_duckdb_session_can_run(built):
    source, state = built["second"]
    proc = subprocess.run(
        [sys.executable, "-m", "comment_etl.bi"],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
    )
    printed = proc.stdout
    assert f"SNAPSHOT_VERSION {source.snapshot_version}" in printed and "READ_ONLY" in printed
    assert built["password"] not in printed + proc.stderr
    statements = [line for line in printed.splitlines() if line and not line.startswith("--")]
    assert statements[0].startswith("SET extension_directory") and statements[-1] == "USE lake;"
    # A BI tool's session: a plain DuckDB, nothing configured, the password from PGPASSWORD.
    con = duckdb.connect()
    try:
        for statement in statements:
            con.execute(statement)
        assert con.execute("select count(*) from marts.fct_comments").fetchone() == (
            state.comments,
        )
        with pytest.raises(duckdb.Error, match=r"read.only"):
            con.execute("create table marts.scratch (x int)")
    finally:
        con.close()
    # The same through SQLAlchemy / duckdb-engine (Superset, Metabase): a `connect` listener.
    engine = sa.create_engine("duckdb:///:memory:")
    sa.event.listen(
        engine,
        "connect",
        lambda dbapi_con, _record: [dbapi_con.execute(text) for text in statements],
    )
    try:
        with engine.connect() as con:
            assert "fct_comments" in sa.inspect(con).get_table_names(schema="marts")
            count = con.execute(sa.text("select count(*) from marts.fct_comments")).scalar_one()
        assert count == state.comments
    finally:
        engine.dispose()


def test_bi_statements_never_carry_a_password(built):
    source, _ = built["second"]
    secret = built["password"]
    with_password = Lake(f"{source.catalog} password={secret}", source.data_path).at(7)
    text = describe(with_password) + "\n".join(attach_statements(with_password))
    assert secret not in text and "SNAPSHOT_VERSION 7" in text


def test_nothing_published_is_a_clear_error(lake_env, capsys: pytest.CaptureFixture[str]):
    settings = load_settings()
    with pytest.raises(NothingPublished, match=r"run comments_daily \(publish\) first"):
        published_source(settings.warehouse, settings.bi_snapshot)
    # The catalog exists (a run created the schema) but nothing is published yet.
    with connect(settings.warehouse) as con:
        con.execute("create schema if not exists staging")
    with pytest.raises(NothingPublished, match="no published snapshot yet") as raised:
        published_source(settings.warehouse, settings.bi_snapshot)
    assert str(settings.warehouse) in str(raised.value)
    assert summary_main([]) == 1
    assert "run comments_daily (publish) first" in capsys.readouterr().err


def test_bi_cli_in_file_mode_prints_the_snapshot_file(pipeline_env):
    snapshot = pipeline_env["snapshot"]
    env = {**os.environ, "COMMENTS_WAREHOUSE": str(pipeline_env["warehouse"])}
    missing = subprocess.run(
        [sys.executable, "-m", "comment_etl.bi"], capture_output=True, text=True, env=env
    )
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(snapshot)).close()
    found = subprocess.run(
        [sys.executable, "-m", "comment_etl.bi"], capture_output=True, text=True, env=env
    )
    assert found.returncode == 0 and found.stdout.strip() == str(snapshot)

"""An environmental error (disk full, I/O) fails the task red and is retried; it never marks a
good file failed, and never leaves half-written files behind."""

from __future__ import annotations

import errno
import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from comment_etl import pipeline
from comment_etl.landing.discover import scan_landing
from comment_etl.parse.parse_file import parse_file
from comment_etl.warehouse.publish import publish_snapshot
from tests.dag_runner import run_dag, task_states
from tests.reliability.helpers import counts, ledger, make_settings, reddit_line, tmpfs

COMMENTS = 5000


def incompressible_dump(path: Path) -> Path:
    """5,000 Reddit comments whose texts do not compress (so their Parquet is ~1 MB)."""
    lines = [
        reddit_line(f"c{i}", f"note {i} {uuid.uuid4().hex} {uuid.uuid4().hex}")
        for i in range(COMMENTS)
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.usefixtures("airflow_db")
def test_disk_full_while_parsing_fails_the_run_and_the_file_loads_next_time(
    pipeline_env, tmp_path, monkeypatch
):
    """A real full filesystem (a 256 KiB tmpfs as the work folder), through the real DAG."""
    small = tmp_path / "small_work"
    with tmpfs(small, "256k") as mounted:
        if not mounted:
            pytest.skip("mount -t tmpfs is not allowed here (needs root); see the injected test")
        incompressible_dump(pipeline_env["landing"] / "RC_2025-01.ndjson")
        monkeypatch.setenv("COMMENTS_WORK_DIR", str(small))
        monkeypatch.setenv("COMMENTS_LANGUAGE_DETECTOR", "fasttext")
        assert counts(pipeline_env["warehouse"])["load_ledger"] == 0

        run = run_dag(datetime(2026, 3, 1, tzinfo=UTC))

        states = task_states(run)
        assert str(run.state) == "failed", states
        assert states["parse[0]"] == "failed", states
        assert states["load_staging"] == "upstream_failed", states
        # The good file is NOT recorded as failed: nothing is recorded at all.
        assert counts(pipeline_env["warehouse"]) == {
            "comments": 0,
            "contents": 0,
            "rejects": 0,
            "load_ledger": 0,
        }
        assert list(small.rglob("*.parquet")) == []  # partial outputs removed

    monkeypatch.setenv("COMMENTS_WORK_DIR", str(pipeline_env["work"]))
    run = run_dag(datetime(2026, 3, 2, tzinfo=UTC))

    assert str(run.state) == "success", task_states(run)
    assert counts(pipeline_env["warehouse"]) == {
        "comments": COMMENTS,
        "contents": 1,
        "rejects": 0,
        "load_ledger": 1,
    }
    assert ledger(pipeline_env["warehouse"]) == {"RC_2025-01.ndjson": ("loaded", None)}


def test_enospc_injected_at_the_parquet_write_raises_and_is_not_a_failed_file(
    tmp_path, monkeypatch
):
    """The same guarantee without a mount: the OSError is raised at the Parquet write."""
    settings = make_settings(tmp_path)
    incompressible_dump(settings.landing_dir / "RC_2025-01.ndjson")
    (candidate,) = pipeline.discover(settings)

    def disk_full(self, table, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", disk_full)
    with pytest.raises(OSError) as raised:
        pipeline.parse(settings, candidate, "run1")
    assert raised.value.errno == errno.ENOSPC
    assert list(settings.work_dir.rglob("*.parquet")) == []
    assert counts(settings.warehouse)["load_ledger"] == 0

    monkeypatch.undo()
    manifest = pipeline.parse(settings, candidate, "run1")  # the retry
    assert (manifest["status"], manifest["comments"]) == ("parsed", COMMENTS)
    summary = pipeline.load(settings, [manifest], "run1")
    assert (summary["files_loaded"], summary["comments"]) == (1, COMMENTS)
    assert ledger(settings.warehouse) == {"RC_2025-01.ndjson": ("loaded", None)}


def test_an_io_error_reading_the_dump_is_not_the_files_fault(tmp_path, monkeypatch):
    path = incompressible_dump(tmp_path / "RC.ndjson")
    (candidate,) = scan_landing(tmp_path)
    from comment_etl.formats import base

    def broken_read(self, buffer):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(base.SourceTap, "readinto", broken_read)
    with pytest.raises(OSError):
        parse_file(path, "RC.ndjson", candidate.sha256, candidate.size_bytes, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def _warehouse_of(path: Path, rows: int) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_comments as select i, md5(i::varchar) || md5((i * 7)::varchar) "
        "as t from range(?) r(i)",
        [rows],
    )
    con.close()
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_snapshot_disk_full_keeps_the_old_snapshot_and_leaves_no_temp_file(tmp_path):
    snapshots = tmp_path / "bi"
    warehouse = _warehouse_of(tmp_path / "comments.duckdb", 20_000)
    size = warehouse.stat().st_size
    with tmpfs(snapshots, f"{size * 3 // 2 // 1024}k") as mounted:
        if not mounted:
            pytest.skip("mount -t tmpfs is not allowed here (needs root); see the injected test")
        snapshot = snapshots / "comments_bi.duckdb"
        assert publish_snapshot(warehouse, snapshot) == {"fct_comments": 20_000}
        before = _sha(snapshot)
        con = duckdb.connect(str(warehouse))
        con.execute("insert into marts.fct_comments select i, 'x' from range(10) r(i)")
        con.close()

        with pytest.raises(OSError) as raised:
            publish_snapshot(warehouse, snapshot)

        assert raised.value.errno == errno.ENOSPC
        assert sorted(p.name for p in snapshots.iterdir()) == ["comments_bi.duckdb"]
        assert _sha(snapshot) == before
        assert duckdb.connect(str(snapshot), read_only=True).execute(
            "select count(*) from marts.fct_comments"
        ).fetchone() == (20_000,)


def test_snapshot_copy_failing_midway_removes_the_temp_file(tmp_path, monkeypatch):
    """The same without a mount: the copy writes half the file, then the disk is full."""
    from comment_etl.warehouse import publish

    warehouse = _warehouse_of(tmp_path / "comments.duckdb", 1000)
    snapshot = tmp_path / "bi" / "comments_bi.duckdb"
    publish_snapshot(warehouse, snapshot)
    before = _sha(snapshot)

    def half_copy(src, dst):
        Path(dst).write_bytes(Path(src).read_bytes()[:4096])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publish.shutil, "copyfile", half_copy)
    with pytest.raises(OSError):
        publish_snapshot(warehouse, snapshot)
    assert sorted(p.name for p in snapshot.parent.iterdir()) == ["comments_bi.duckdb"]
    assert _sha(snapshot) == before

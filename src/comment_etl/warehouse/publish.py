"""Publish what BI tools read: a snapshot file of the warehouse, or a snapshot id of the lake.

BI tools must never see a half-built state, nor (in file mode) hold the pipeline's warehouse
file open (that would block the single writer).

**File mode.** BI opens a snapshot file, replaced atomically: the warehouse is checkpointed (so
the file holds everything and the WAL is empty), copied to a temp file next to the snapshot,
then `os.replace`d over it. A reader that has the old snapshot open keeps reading the old inode
undisturbed and sees the new data when it reconnects. If the copy fails (the disk is full), the
temp file is removed and the previous snapshot stays.

**Lake mode.** Nothing is copied: every commit of a DuckLake is a snapshot that readers can
attach read-only (``SNAPSHOT_VERSION n``) while writers go on. Publishing records the lake's
current snapshot id, once the build is done, in ``bi.published_snapshots``; `bi_source` pins
readers (the report, the language cache, a BI session) to the newest recorded one, so a run in
progress (staging loaded, marts half rebuilt) is never what they see.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from comment_etl.warehouse.connect import connect, exists, scalar
from comment_etl.warehouse.target import LAKE_ALIAS, Lake, Warehouse

MART_SCHEMA = "marts"
#: Lake mode: one row per publish (the snapshot id BI reads, when, and its rows per mart).
PUBLISHED_TABLE = "bi.published_snapshots"


def mart_row_counts(con: duckdb.DuckDBPyConnection, schema: str = MART_SCHEMA) -> dict[str, int]:
    """Rows per table in `schema` (for the asset event and the demo summary)."""
    tables = [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = ? "
            "and table_type = 'BASE TABLE' order by table_name",
            [schema],
        ).fetchall()
    ]
    return {table: int(scalar(con, f'select count(*) from {schema}."{table}"')) for table in tables}


def publish_snapshot(warehouse: Warehouse, snapshot: str | Path) -> dict[str, int]:
    """Publish the built marts (file: swap in a fresh snapshot file; lake: record the snapshot
    id), return rows per mart."""
    if isinstance(warehouse, Lake):
        return publish_lake(warehouse)
    warehouse, snapshot = Path(warehouse), Path(snapshot)
    with connect(warehouse) as con:
        con.execute("checkpoint")
        counts = mart_row_counts(con)
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    temp = snapshot.with_name(f".{snapshot.name}.tmp")
    try:
        shutil.copyfile(warehouse, temp)
        os.replace(temp, snapshot)
    except BaseException:
        # A full disk leaves half a copy: remove it (the old snapshot stays in place).
        temp.unlink(missing_ok=True)
        raise
    return counts


def publish_lake(lake: Lake) -> dict[str, int]:
    """Record the lake's current snapshot as the published one; return rows per mart in it."""
    with connect(lake) as con:
        con.execute("create schema if not exists bi")
        con.execute(
            f"create table if not exists {PUBLISHED_TABLE} (snapshot_id bigint not null, "
            "published_at timestamptz not null, mart_rows varchar not null)"
        )
        # One transaction: the counts are those of the snapshot it reads, which is the one
        # recorded (a writer committing meanwhile makes a later snapshot, not this one).
        con.execute("begin transaction")
        snapshot_id = int(scalar(con, f"select id from {LAKE_ALIAS}.current_snapshot()"))
        counts = mart_row_counts(con)
        con.execute(
            f"insert into {PUBLISHED_TABLE} values (?, ?, ?)",
            [snapshot_id, datetime.now(UTC), json.dumps(counts, sort_keys=True)],
        )
        con.execute("commit")
    return counts


def published_version(lake: Lake) -> int | None:
    """The newest published snapshot id of the lake; None before the first publish."""
    if not exists(lake.at(None)):
        return None
    with connect(lake.at(None), read_only=True) as con:
        present = scalar(
            con,
            "select count(*) from information_schema.tables where table_catalog = "
            "current_database() and table_schema = 'bi' and table_name = 'published_snapshots'",
        )
        if not present:
            return None
        found = scalar(con, f"select max(snapshot_id) from {PUBLISHED_TABLE}")
    return None if found is None else int(found)


def bi_source(warehouse: Warehouse, snapshot: str | Path) -> Warehouse | None:
    """What readers open: the snapshot file, or the lake pinned to its published snapshot
    (None when the lake has published nothing yet)."""
    if isinstance(warehouse, Lake):
        version = published_version(warehouse)
        return None if version is None else warehouse.at(version)
    return Path(snapshot)

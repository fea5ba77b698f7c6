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
import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from comment_etl.warehouse.connect import connect, exists, scalar
from comment_etl.warehouse.target import LAKE_ALIAS, Lake, Warehouse

log = logging.getLogger(__name__)

MART_SCHEMA = "marts"
#: Lake mode: one row per publish (the snapshot id BI reads, when, and its rows per mart).
PUBLISHED_TABLE = "bi.published_snapshots"
#: Lake mode: days of snapshots (time travel) kept before they and their files are removed.
DEFAULT_KEEP_DAYS = 7.0


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


def publish_lake(lake: Lake, keep_days: float | None = None) -> dict[str, int]:
    """Record the lake's current snapshot as the published one; return rows per mart in it.

    Then expire what is older than `keep_days` (``COMMENTS_LAKE_KEEP_DAYS``, default 7): the
    snapshots (time travel reaches back that far) and, once no snapshot needs them, their
    Parquet files. A dbt build makes ~50 snapshots and rewrites the rows it touches, so
    without this the catalog and the data folder grow with every run. The newest published
    snapshot is never expired, however old it is (BI sessions are pinned to it).
    """
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
        log.info("published snapshot %d of %r", snapshot_id, str(lake))
        expire_old_snapshots(con, snapshot_id, keep_days)
    return counts


def expire_old_snapshots(
    con: duckdb.DuckDBPyConnection, published: int, keep_days: float | None = None
) -> int:
    """Expire the lake's snapshots older than `keep_days` but never `published` or later ones,
    delete the files only they used; return how many snapshots were expired."""
    if keep_days is None:
        keep_days = float(os.environ.get("COMMENTS_LAKE_KEEP_DAYS") or DEFAULT_KEEP_DAYS)
    row = con.execute(
        f"select now() - to_microseconds(cast(? * 86400e6 as bigint)), snapshot_time "
        f"from {LAKE_ALIAS}.snapshots() where snapshot_id = ?",
        [keep_days, published],
    ).fetchone()
    if row is None:  # the published snapshot is gone: expire nothing
        return 0
    horizon, published_at = row
    # fetchall: the expiry commits when its result is read to the end (a fetchone left it
    # pending, and the next statement dropped it).
    expired = con.execute(
        f"select snapshot_id from ducklake_expire_snapshots('{LAKE_ALIAS}', older_than => ?)",
        [min(horizon, published_at)],
    ).fetchall()
    # Files only expired snapshots used: deleted once they were scheduled `keep_days` ago, so a
    # reader still scanning an expired snapshot gets that long.
    con.execute(
        f"select * from ducklake_cleanup_old_files('{LAKE_ALIAS}', older_than => ?)", [horizon]
    ).fetchall()
    return len(expired)


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

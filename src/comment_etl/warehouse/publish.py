"""Publish the read-only BI snapshot of the warehouse.

BI tools must never hold the pipeline's warehouse file open (that would block the single
writer). They open a snapshot instead, which is replaced atomically: the warehouse is
checkpointed (so the file holds everything and the WAL is empty), copied to a temp file next to
the snapshot, then `os.replace`d over it. A reader that has the old snapshot open keeps reading
the old inode undisturbed and sees the new data when it reconnects. If the copy fails (the disk
is full), the temp file is removed and the previous snapshot stays.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from comment_etl.warehouse.connect import connect, scalar

MART_SCHEMA = "marts"


def mart_row_counts(con: duckdb.DuckDBPyConnection, schema: str = MART_SCHEMA) -> dict[str, int]:
    """Rows per table in `schema` (for the asset event and the demo summary)."""
    tables = [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
            [schema],
        ).fetchall()
    ]
    return {table: int(scalar(con, f'select count(*) from {schema}."{table}"')) for table in tables}


def publish_snapshot(warehouse: str | Path, snapshot: str | Path) -> dict[str, int]:
    """Checkpoint the warehouse, swap in a fresh snapshot, return rows per mart."""
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

"""Opening the DuckDB warehouse: always through a context manager that closes the file.

DuckDB allows one writing process per file, and inside one process a second connection with a
different configuration (read-only vs read-write) fails while the first is open. Every use here
is therefore short-lived and closed, and all writers run in the one-slot `duckdb_writer` pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from comment_etl.warehouse.limits import duckdb_config


@contextmanager
def connect(path: str | Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    if not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config=duckdb_config(path))
    try:
        yield con
    finally:
        con.close()


def known_sha256(path: str | Path) -> set[str]:
    """sha256 of every file already in the load ledger (loaded or failed)."""
    if not Path(path).exists():
        return set()
    with connect(path, read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'staging' and table_name = 'load_ledger'"
        ).fetchone()
        if not exists or not exists[0]:
            return set()
        return {row[0] for row in con.execute("select sha256 from staging.load_ledger").fetchall()}

"""Opening the DuckDB warehouse: always through a context manager that closes the file.

DuckDB allows one writing process per file, and inside one process a second connection with a
different configuration (read-only vs read-write) fails while the first is open. Every use here
is therefore short-lived and closed, and all writers run in the one-slot `duckdb_writer` pool.

When another process holds the file, DuckDB says ``Could not set lock on file ... (PID n)``.
`connect` turns that into `WarehouseLocked`, whose message says who holds it and what to do:
another run of the pipeline (wait for it), or a BI tool / notebook that opened the warehouse
instead of the read-only snapshot (point it at the snapshot). dbt's output is translated the
same way (`explain_lock_error`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from comment_etl.sources.redact import redact
from comment_etl.warehouse.extensions import ensure_extension_directory
from comment_etl.warehouse.limits import duckdb_config
from comment_etl.warehouse.target import LAKE_ALIAS, Lake, Warehouse

_LOCK = re.compile(r"Could not set lock on file", re.IGNORECASE)
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")
#: Programs that mean "the pipeline itself" (another run), not a BI tool: looked for in the
#: base names of the holder's program and first two arguments (``airflow tasks run``,
#: ``.../bin/dbt build``, ``python -m comment_etl...``), not in the folders of those paths nor in
#: later arguments (paths may contain anything).
_PIPELINE_MARKERS = ("airflow", "dbt", "comment_etl")


class WarehouseLocked(RuntimeError):
    """Another process holds the warehouse file."""


def _command_line(pid: int) -> list[str]:
    """The holder's arguments when it runs on this machine (Linux /proc), else []."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", errors="replace") for part in raw.split(b"\0") if part]


def explain_lock_error(message: str, warehouse: Warehouse | str) -> str | None:
    """A clear explanation when `message` is DuckDB's lock conflict, else None."""
    if not _LOCK.search(message):
        return None
    holder = _HOLDER.search(message)
    pid = int(holder["pid"]) if holder else None
    holder_program = holder["program"] if holder else "unknown program"
    argv = _command_line(pid) if pid else []
    command = redact(" ".join(argv))[:300] if argv else holder_program  # may carry a password
    who = f"PID {pid} ({command})" if pid else "an unknown process"
    snapshot = os.environ.get("COMMENTS_BI_SNAPSHOT", "data/warehouse/comments_bi.duckdb")
    program = " ".join(os.path.basename(arg) for arg in argv[:3]).lower()
    if any(marker in program for marker in _PIPELINE_MARKERS):
        return (
            f"another run holds the warehouse {str(warehouse)!r}: {who}. Only one run can write "
            "at a time; wait for it to finish (or stop it), then clear this task."
        )
    return (
        f"the warehouse {str(warehouse)!r} is held by another process: {who}. If that is a BI "
        f"tool, notebook or DuckDB shell, close it and point it at the read-only snapshot "
        f"{snapshot!r} (COMMENTS_BI_SNAPSHOT) instead; if it is another run of the pipeline, "
        "wait for it to finish. Then clear this task."
    )


@contextmanager
def connect(
    target: Warehouse | str, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB session on the warehouse file, or on the lake (attached as ``lake`` and made
    the default catalog, so ``staging.comments`` means the same in both modes)."""
    if isinstance(target, Lake):
        with _connect_lake(target, read_only) as con:
            yield con
        return
    path = target
    if not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=dict(duckdb_config(path)))
    except duckdb.IOException as exc:
        explained = explain_lock_error(str(exc), path)
        if explained is None:
            raise
        raise WarehouseLocked(explained) from None
    try:
        yield con
    finally:
        con.close()


@contextmanager
def _connect_lake(lake: Lake, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    config: dict[str, str | bool | int | float | list[str]] = dict(duckdb_config(lake))
    config["extension_directory"] = str(ensure_extension_directory())
    if not read_only and "://" not in lake.data_path:
        Path(lake.data_path).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:", config=config)
    try:
        con.execute(lake.attach_sql(read_only))
        _LAKES_CREATED.add(lake.uri)
        con.execute(f"use {LAKE_ALIAS}")
        yield con
    finally:
        con.close()


#: Catalogs known to exist in this process (a lake is never uncreated): each check costs a
#: session (a DuckDB instance, the extensions, the catalog's connection), ~1 s.
_LAKES_CREATED: set[str] = set()


def exists(target: Warehouse) -> bool:
    """Whether there is anything to read yet: the file exists, or the lake's catalog was
    created (the first writing session creates it; a read-only one cannot)."""
    if not isinstance(target, Lake):
        return Path(target).exists()
    if target.uri in _LAKES_CREATED:
        return True
    try:
        with connect(target.at(None), read_only=True):
            return True
    except duckdb.InvalidInputException as exc:
        if "does not exist" in str(exc):
            return False
        raise


def _has_ledger(con: duckdb.DuckDBPyConnection) -> bool:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_catalog = current_database() "
        "and table_schema = 'staging' and table_name = 'load_ledger'"
    ).fetchone()
    return bool(exists and exists[0])


def known_sha256(path: Warehouse) -> set[str]:
    """sha256 of every file already in the load ledger (loaded or failed)."""
    if not exists(path):
        return set()
    with connect(path, read_only=True) as con:
        if not _has_ledger(con):
            return set()
        return {row[0] for row in con.execute("select sha256 from staging.load_ledger").fetchall()}


def ledger_fingerprint(path: Warehouse | None) -> str | None:
    """A digest of the load ledger of a warehouse file (or snapshot); None when there is none.

    Two files with the same fingerprint hold the same loads, so marts built from one are the
    marts of the other.
    """
    if path is None or not exists(path):
        return None
    with connect(path, read_only=True) as con:
        if not _has_ledger(con):
            return None
        row = con.execute(
            "select count(*), coalesce(md5(string_agg(sha256 || ':' || load_id || ':' || status, "
            "',' order by sha256, load_id)), '') from staging.load_ledger"
        ).fetchone()
    return f"{row[0]}:{row[1]}" if row else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> Any:
    """The first column of the one row `sql` returns (a ``count(*)``, a ``max(...)``)."""
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise LookupError(f"query returned no row: {sql!r}")
    return row[0]

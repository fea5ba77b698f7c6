"""How much memory and how many threads DuckDB may use, in the loader and in dbt.

Without a cap DuckDB takes up to 80 % of the machine's RAM and a thread per core: the `dbt build`
of a million comments peaked at ~3 GB. Capped, DuckDB spills big joins and sorts to
``temp_directory`` (beside the database file) instead of growing. Environment variables (not
Airflow Variables: dbt reads them in its own process too):

* ``COMMENTS_DUCKDB_MEMORY_LIMIT`` (default ``700MB``): DuckDB's ``memory_limit``. The process
  itself needs some memory beyond it (Python, dbt's manifest), so keep it below the budget.
* ``COMMENTS_DUCKDB_THREADS`` (default ``2``).
* ``COMMENTS_DUCKDB_TEMP_DIR`` (default ``<warehouse file>.tmp``, DuckDB's own choice).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from comment_etl.warehouse.target import Lake, Warehouse

DEFAULT_MEMORY_LIMIT = "700MB"
DEFAULT_THREADS = "2"


def temp_directory(warehouse: Warehouse | str) -> Path:
    configured = os.environ.get("COMMENTS_DUCKDB_TEMP_DIR")
    if configured:
        return Path(configured)
    if isinstance(warehouse, Lake):  # its data path may be object storage: spill locally
        return Path(tempfile.gettempdir()) / f"comment_etl_duckdb_{os.getuid()}"
    path = Path(warehouse).resolve()
    return path.with_name(path.name + ".tmp")


def duckdb_config(warehouse: Warehouse | str) -> dict[str, str]:
    """`duckdb.connect(..., config=...)` settings for a connection to `warehouse`."""
    return {
        "memory_limit": os.environ.get("COMMENTS_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT,
        "threads": os.environ.get("COMMENTS_DUCKDB_THREADS") or DEFAULT_THREADS,
        "temp_directory": str(temp_directory(warehouse)),
    }


def dbt_env(warehouse: Warehouse | str) -> dict[str, str]:
    """The same settings as environment variables for dbt's profile (dbt/profiles.yml)."""
    config = duckdb_config(warehouse)
    return {
        "COMMENTS_DUCKDB_MEMORY_LIMIT": config["memory_limit"],
        "COMMENTS_DUCKDB_THREADS": config["threads"],
        "COMMENTS_DUCKDB_TEMP_DIR": config["temp_directory"],
    }

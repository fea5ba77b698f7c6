"""Where the warehouse lives: one DuckDB file (the default) or a DuckLake.

``COMMENTS_WAREHOUSE`` is either a path (``data/warehouse/comments.duckdb``) or a DuckLake
catalog, written as DuckDB's ATTACH takes it: ``ducklake:postgres:dbname=comments
host=db.internal user=etl`` (a Postgres catalog, for several hosts), ``ducklake:sqlite:...`` or
``ducklake:/srv/lake/catalog.ducklake`` (a DuckDB catalog file, one host). The lake's Parquet
files go to ``COMMENTS_LAKE_DATA_PATH``.

The catalog string is never logged as is: `Lake.__str__` redacts a ``password=`` in it. Keep the
password out of the setting anyway: the Postgres client reads ``PGPASSWORD`` / ``PGPASSFILE``
from the worker's environment (README "Scaling out").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from comment_etl.sources.redact import redact

LAKE_SCHEME = "ducklake:"
#: The name the lake is attached under in every session (the pipeline's, dbt's, BI's).
LAKE_ALIAS = "lake"


@dataclass(frozen=True)
class Lake:
    """A DuckLake: its catalog (what follows ``ducklake:``) and where its Parquet files go."""

    catalog: str
    data_path: str
    #: Pin a read-only session to this snapshot (the published one); None = the latest.
    snapshot_version: int | None = None

    def __repr__(self) -> str:  # the dataclass repr would show a password in the catalog
        return f"Lake({str(self)!r}, data_path={self.data_path!r})"

    def __str__(self) -> str:
        pinned = f"@{self.snapshot_version}" if self.snapshot_version is not None else ""
        return redact(f"{LAKE_SCHEME}{self.catalog}") + pinned

    @property
    def uri(self) -> str:
        return f"{LAKE_SCHEME}{self.catalog}"

    @property
    def concurrent_writers(self) -> bool:
        """Whether several processes may write at once: a Postgres or SQLite catalog. A DuckDB
        catalog file is locked by the one process that attached it, like a warehouse file."""
        return self.catalog.lower().startswith(("postgres:", "sqlite:"))

    @property
    def postgres_conninfo(self) -> str | None:
        """The libpq connection string of a Postgres catalog (what follows ``postgres:``; the
        password stays in PGPASSWORD / PGPASSFILE), or None for another catalog."""
        prefix = "postgres:"
        return self.catalog[len(prefix) :] if self.catalog.lower().startswith(prefix) else None

    def at(self, snapshot_version: int | None) -> Lake:
        return replace(self, snapshot_version=snapshot_version)

    def attach_sql(self, read_only: bool) -> str:
        """The ATTACH statement of this lake (DATA_PATH only when writing: readers take the
        catalog's, so a BI session needs only the catalog)."""
        options = []
        if read_only:
            options.append("READ_ONLY")
        else:
            options.append(f"DATA_PATH {_quote(self.data_path)}")
        if self.snapshot_version is not None:
            options.append(f"SNAPSHOT_VERSION {int(self.snapshot_version)}")
        return f"ATTACH {_quote(self.uri)} AS {LAKE_ALIAS} ({', '.join(options)})"


#: The warehouse a setting names: a DuckDB file or a lake.
Warehouse = Path | Lake


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def is_lake(target: Warehouse) -> bool:
    return isinstance(target, Lake)


def parse_warehouse(value: str, data_path: str) -> Warehouse:
    """The warehouse named by ``COMMENTS_WAREHOUSE`` (a `Lake` when it starts with ducklake:)."""
    if value.lower().startswith(LAKE_SCHEME):
        catalog = value[len(LAKE_SCHEME) :].strip()
        if not catalog:
            raise ValueError("COMMENTS_WAREHOUSE is 'ducklake:' with no catalog after it")
        return Lake(catalog=catalog, data_path=data_path)
    return Path(value)


def as_warehouse(value: Warehouse | str) -> Warehouse:
    """A path given as a string becomes a Path; a Path or a Lake stays as it is."""
    return Path(value) if isinstance(value, str) else value

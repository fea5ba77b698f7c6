"""What BI readers open: the published data, in file mode and in lake mode.

Every reader of the published data (the run report, the demo's mart summary, `dbt source
freshness` / `dbt docs generate`, a BI tool) goes through `published_source`: the snapshot
file in file mode, the lake pinned to its newest published snapshot in lake mode
(`warehouse.publish.bi_source`). A reader of the lake never sees a run in progress (staging
loaded, marts half rebuilt) and never blocks the writer.

Usage: ``python -m comment_etl.bi`` prints how a BI tool reads the published data: in lake mode
the DuckDB statements (usable as ``duckdb -init``), in file mode the snapshot file. The
catalog's password is never printed: the BI tool's Postgres client takes it from
``PGPASSWORD`` / ``PGPASSFILE``.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from comment_etl.sources.redact import redact
from comment_etl.warehouse.connect import scalar
from comment_etl.warehouse.extensions import ensure_extension_directory
from comment_etl.warehouse.publish import PUBLISHED_TABLE, bi_source
from comment_etl.warehouse.target import LAKE_ALIAS, Lake, Warehouse


class NothingPublished(FileNotFoundError):
    """No snapshot file yet, or a lake that has published nothing yet."""


def published_source(warehouse: Warehouse, snapshot: str | Path) -> Warehouse:
    """The snapshot file, or the lake pinned to its published snapshot; `NothingPublished`
    (saying what to run) when there is none yet."""
    source = bi_source(warehouse, snapshot)
    if source is None:
        raise NothingPublished(
            f"the lake {str(warehouse)!r} has no published snapshot yet ({PUBLISHED_TABLE} "
            "is empty or missing): run comments_daily (publish) first"
        )
    if isinstance(source, Path) and not source.exists():
        raise NothingPublished(
            f"BI snapshot {str(source)!r} does not exist: run comments_daily (publish) first"
        )
    return source


def snapshot_time(con: duckdb.DuckDBPyConnection, version: int) -> datetime:
    """When the lake's snapshot `version` was committed (UTC), from a session on the lake."""
    found = scalar(
        con,
        f"select snapshot_time from {LAKE_ALIAS}.snapshots() where snapshot_id = ?",
        [version],
    )
    if found is None:
        raise LookupError(f"the lake has no snapshot {version}")
    return found.astimezone(UTC) if found.tzinfo else found.replace(tzinfo=UTC)


def attach_statements(lake: Lake) -> list[str]:
    """The statements a DuckDB session (a BI tool's) runs to read `lake` at its pinned snapshot:
    the offline extension folder, the read-only ATTACH, USE. A password in the catalog string
    is redacted (the Postgres client reads PGPASSWORD / PGPASSFILE instead)."""
    folder = str(ensure_extension_directory()).replace("'", "''")
    return [
        f"SET extension_directory = '{folder}';",
        redact(lake.attach_sql(read_only=True)) + ";",
        f"USE {LAKE_ALIAS};",
    ]


def describe(source: Warehouse) -> str:
    """What `python -m comment_etl.bi` prints for `source` (a published one)."""
    if not isinstance(source, Lake):
        return str(source)
    lines = [
        f"-- The published snapshot {source.snapshot_version} of {str(source.at(None))!r}",
        f"-- (duckdb {duckdb.__version__}; the ducklake and postgres extensions are loaded from",
        "-- the extension folder below, nothing is downloaded). The catalog's password comes",
        "-- from PGPASSWORD or PGPASSFILE. Run these in the BI tool's DuckDB session, or save",
        "-- them and start `duckdb -init <file>`:",
        *attach_statements(source),
    ]
    return "\n".join(lines)


def main() -> int:
    from comment_etl.config import load_settings

    settings = load_settings()
    try:
        source = published_source(settings.warehouse, settings.bi_snapshot)
    except NothingPublished as exc:
        print(exc, file=sys.stderr)
        return 1
    print(describe(source))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

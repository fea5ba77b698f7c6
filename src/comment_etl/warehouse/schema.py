"""DDL of the `staging` schema: the stable contract for dbt and BI tools.

Columns are only ever added, never renamed or dropped. `ensure_schema` is idempotent and adds
columns a newer version introduced to a warehouse created by an older one.
"""

from __future__ import annotations

import duckdb

STAGING_TABLES: dict[str, list[tuple[str, str]]] = {
    "contents": [
        ("platform", "varchar not null"),
        ("content_id", "varchar not null"),
        ("title", "varchar"),
        ("description", "varchar"),
        ("url", "varchar"),
        ("channel", "varchar"),
        ("published_at", "timestamptz"),
        ("source_file", "varchar not null"),
        ("load_id", "varchar not null"),
        ("ingested_at", "timestamptz not null"),
    ],
    "comments": [
        ("platform", "varchar not null"),
        ("content_id", "varchar not null"),
        ("comment_id", "varchar not null"),
        ("parent_comment_id", "varchar"),
        ("author_name", "varchar"),
        ("author_id", "varchar"),
        ("text", "varchar"),
        ("published_at", "timestamptz"),
        ("like_count", "bigint"),
        ("reply_count", "bigint"),
        ("position", "bigint"),
        ("language", "varchar"),
        ("language_confidence", "double"),
        ("source_file", "varchar not null"),
        ("load_id", "varchar not null"),
        ("ingested_at", "timestamptz not null"),
        # Added beyond the first contract (issue 3/4): observation time, deletion, provenance.
        ("updated_at", "timestamptz"),
        ("retrieved_at", "timestamptz"),
        ("is_deleted", "boolean not null default false"),
        ("language_detector", "varchar"),
        ("record_number", "bigint"),
        ("raw", "varchar"),
        # Added (issue 9): when the dump file was last modified (the newest observation wins).
        ("source_modified_at", "timestamptz"),
    ],
    "rejects": [
        ("source_file", "varchar not null"),
        ("record_number", "bigint"),
        ("reason", "varchar not null"),
        ("raw_excerpt", "varchar"),
        ("load_id", "varchar not null"),
        ("rejected_at", "timestamptz not null"),
    ],
    "language_cache": [
        ("detector", "varchar not null"),
        ("text_hash", "varchar not null"),
        ("language", "varchar not null"),
        ("confidence", "double"),
        ("load_id", "varchar not null"),
    ],
    "load_ledger": [
        ("source_file", "varchar not null"),
        ("sha256", "varchar not null"),
        ("format", "varchar"),
        ("status", "varchar not null"),
        ("rows_loaded", "bigint not null"),
        ("rows_rejected", "bigint not null"),
        ("load_id", "varchar not null"),
        ("loaded_at", "timestamptz not null"),
        ("error", "varchar"),
        ("size_bytes", "bigint"),
        ("source_modified_at", "timestamptz"),
    ],
}


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the staging schema and tables, adding any columns missing from older versions."""
    con.execute("create schema if not exists staging")
    for table, columns in STAGING_TABLES.items():
        column_sql = ", ".join(f"{name} {kind}" for name, kind in columns)
        con.execute(f"create table if not exists staging.{table} ({column_sql})")
        existing = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_catalog = current_database() and table_schema = 'staging' "
                "and table_name = ?",
                [table],
            ).fetchall()
        }
        for name, kind in columns:
            if name not in existing:
                con.execute(f"alter table staging.{table} add column {name} {kind}")

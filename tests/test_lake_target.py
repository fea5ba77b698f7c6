"""Lake mode's settings and offline extensions, without a catalog server."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from comment_etl.config import load_settings
from comment_etl.warehouse.extensions import ensure_extension_directory
from comment_etl.warehouse.target import Lake, parse_warehouse

CATALOG = "postgres:dbname=comments host=127.0.0.1 user=etl password=hunter2"


def test_a_path_is_a_file_warehouse_and_ducklake_is_a_lake() -> None:
    assert parse_warehouse("data/warehouse/comments.duckdb", "x") == Path(
        "data/warehouse/comments.duckdb"
    )
    lake = parse_warehouse(f"ducklake:{CATALOG}", "s3://bucket/lake/")
    assert lake == Lake(catalog=CATALOG, data_path="s3://bucket/lake/")
    with pytest.raises(ValueError, match="no catalog"):
        parse_warehouse("ducklake:", "x")


def test_settings_resolve_a_local_data_path_and_keep_urls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COMMENTS_WAREHOUSE", f"ducklake:{CATALOG}")
    monkeypatch.setenv("COMMENTS_LAKE_DATA_PATH", "data/lake/")
    lake = load_settings().lake
    assert lake is not None and Path(lake.data_path).is_absolute()
    assert lake.data_path.endswith("/")
    monkeypatch.setenv("COMMENTS_LAKE_DATA_PATH", "s3://bucket/lake/")
    assert load_settings().warehouse == Lake(CATALOG, "s3://bucket/lake/")
    monkeypatch.setenv("COMMENTS_WAREHOUSE", str(tmp_path / "w.duckdb"))
    assert load_settings().lake is None


def test_the_catalog_password_never_shows_in_str_or_repr() -> None:
    lake = Lake(CATALOG, "/srv/lake/").at(7)
    for shown in (str(lake), repr(lake), f"{lake!r}", str([lake])):
        assert "hunter2" not in shown
    assert "@7" in str(lake)


def test_attach_statements_pin_readers_and_give_writers_the_data_path() -> None:
    lake = Lake("catalog.ducklake", "/srv/it's/")
    assert lake.attach_sql(read_only=False) == (
        "ATTACH 'ducklake:catalog.ducklake' AS lake (DATA_PATH '/srv/it''s/')"
    )
    assert lake.at(12).attach_sql(read_only=True) == (
        "ATTACH 'ducklake:catalog.ducklake' AS lake (READ_ONLY, SNAPSHOT_VERSION 12)"
    )


def test_ducklake_loads_offline_from_the_packaged_extensions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A DuckDB-catalog lake (one host, no server) attached with nothing downloaded:
    autoinstall is off, so a missing extension would fail here instead of downloading."""
    monkeypatch.setenv("COMMENTS_DUCKDB_EXTENSION_DIR", str(tmp_path / "ext"))
    folder = ensure_extension_directory()
    assert ensure_extension_directory() == folder  # idempotent
    linked = sorted(p.name for p in folder.rglob("*.duckdb_extension"))
    assert linked == ["ducklake.duckdb_extension", "postgres_scanner.duckdb_extension"]
    config = {"extension_directory": str(folder), "autoinstall_known_extensions": False}
    with duckdb.connect(config=config) as con:
        con.execute(
            f"attach 'ducklake:{tmp_path / 'catalog.ducklake'}' as lake "
            f"(data_path '{tmp_path / 'data'}/')"
        )
        con.execute("create table lake.t as select 42 as answer")
        assert con.execute("select answer from lake.t").fetchall() == [(42,)]
        loaded = con.execute(
            "select extension_name from duckdb_extensions() where loaded and "
            "extension_name in ('ducklake', 'postgres_scanner')"
        ).fetchall()
    assert loaded == [("ducklake",)]


def test_only_a_catalog_server_takes_concurrent_writers() -> None:
    assert Lake(CATALOG, "x").concurrent_writers
    assert Lake("sqlite:/srv/lake/catalog.sqlite", "x").concurrent_writers
    assert not Lake("/srv/lake/catalog.ducklake", "x").concurrent_writers


def test_only_a_postgres_catalog_has_a_conninfo_for_the_staging_locks() -> None:
    assert Lake(CATALOG, "x").postgres_conninfo == CATALOG.removeprefix("postgres:")
    assert Lake("sqlite:/srv/lake/catalog.sqlite", "x").postgres_conninfo is None
    assert Lake("/srv/lake/catalog.ducklake", "x").postgres_conninfo is None


def test_publish_expires_old_snapshots_but_keeps_the_published_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A DuckDB-catalog lake (no server): publishes with nothing kept (keep_days=0). The
    second published snapshot still opens read-only with its rows, the first is gone, and the
    Parquet file only the first one used is deleted by the next publish (not by the one that
    expired it: a reader still scanning it gets until then)."""
    from comment_etl.warehouse.connect import connect
    from comment_etl.warehouse.publish import bi_source, publish_lake

    monkeypatch.setenv("COMMENTS_DUCKDB_EXTENSION_DIR", str(tmp_path / "ext"))
    lake = Lake(str(tmp_path / "catalog.ducklake"), f"{tmp_path / 'data'}/")
    with connect(lake) as con:
        con.execute("set ducklake_default_data_inlining_row_limit = 0")  # real Parquet files
        con.execute("create schema marts")
        con.execute("create table marts.fct_x as select range as n from range(1000)")
    assert publish_lake(lake, keep_days=0) == {"fct_x": 1000}
    first = bi_source(lake, tmp_path / "unused")
    files_before = set((tmp_path / "data").rglob("*.parquet"))
    with connect(lake) as con:
        con.execute("create or replace table marts.fct_x as select range as n from range(5)")
    assert publish_lake(lake, keep_days=0) == {"fct_x": 5}
    second = bi_source(lake, tmp_path / "unused")
    assert isinstance(first, Lake) and isinstance(second, Lake)
    assert second.snapshot_version is not None and first.snapshot_version is not None
    assert second.snapshot_version > first.snapshot_version
    with connect(second, read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_x").fetchone() == (5,)
    with pytest.raises(duckdb.Error), connect(first, read_only=True) as con:
        con.execute("select count(*) from marts.fct_x").fetchone()
    assert set((tmp_path / "data").rglob("*.parquet")) >= files_before, "deleted too early"
    assert publish_lake(lake, keep_days=0) == {"fct_x": 5}
    assert not files_before & set((tmp_path / "data").rglob("*.parquet")), "not deleted"

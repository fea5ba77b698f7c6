"""DuckDB runs capped (memory, threads, a spill folder) in the loader's connections and in dbt."""

from __future__ import annotations

from pathlib import Path

from comment_etl.warehouse.connect import connect
from comment_etl.warehouse.limits import dbt_env, duckdb_config


def _setting(con, name: str) -> str:
    return con.execute("select current_setting(?)", [name]).fetchone()[0]


def test_warehouse_connections_are_capped(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COMMENTS_DUCKDB_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("COMMENTS_DUCKDB_THREADS", "1")
    warehouse = tmp_path / "w.duckdb"
    with connect(warehouse) as con:
        assert _setting(con, "threads") == 1
        assert _setting(con, "memory_limit") == "286.1 MiB"  # 300 MB
        assert _setting(con, "temp_directory") == str(warehouse.resolve()) + ".tmp"


def test_defaults_and_dbt_environment(tmp_path: Path, monkeypatch) -> None:
    for name in ("COMMENTS_DUCKDB_MEMORY_LIMIT", "COMMENTS_DUCKDB_THREADS"):
        monkeypatch.delenv(name, raising=False)
    config = duckdb_config(tmp_path / "w.duckdb")
    assert config["memory_limit"] == "700MB"
    assert config["threads"] == "2"
    env = dbt_env(tmp_path / "w.duckdb")
    assert env["COMMENTS_DUCKDB_TEMP_DIR"] == config["temp_directory"]

"""A run with nothing new skips dbt; anything the marts depend on brings the build back."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from comment_etl import pipeline
from comment_etl.config import load_settings
from comment_etl.transform.build_needed import project_fingerprint

REPO = Path(__file__).resolve().parents[1]
LOADED = {"files_loaded": 1, "files_failed": 0}
NOTHING = {"files_loaded": 0, "files_failed": 0, "files_skipped": 3}


@pytest.fixture
def builds(pipeline_env, tmp_path, monkeypatch) -> list[str]:
    """dbt replaced by a stand-in that creates one mart, counting the calls."""
    project = tmp_path / "dbt"
    shutil.copytree(REPO / "dbt", project, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setenv("COMMENTS_DBT_PROJECT_DIR", str(project))
    calls: list[str] = []

    def fake_build(project_dir, warehouse, target_dir, extra_args=None):
        calls.append(" ".join(extra_args or []))
        Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(warehouse))
        con.execute("create schema if not exists marts; create or replace table marts.x (i int)")
        con.close()
        return SimpleNamespace(counts={"success": 1}, elapsed_s=0.1)

    monkeypatch.setattr(pipeline, "run_dbt_build", fake_build)
    return calls


def build_if_stale(settings, summary) -> bool:
    """What the DAG does: short-circuit, else dbt + publish. True when it built."""
    if not pipeline.marts_are_stale(settings, summary):
        return False
    pipeline.build_marts(settings)
    pipeline.publish(settings)
    return True


def test_nothing_new_skips_dbt(builds: list[str]) -> None:
    settings = load_settings()
    assert build_if_stale(settings, LOADED) is True
    assert build_if_stale(settings, NOTHING) is False
    assert len(builds) == 1


def test_first_run_builds_even_with_nothing_loaded(builds: list[str]) -> None:
    assert build_if_stale(load_settings(), NOTHING) is True


def test_a_failed_file_or_a_changed_project_builds_again(builds: list[str]) -> None:
    settings = load_settings()
    build_if_stale(settings, LOADED)
    assert build_if_stale(settings, {"files_failed": 1})
    before = project_fingerprint(settings.dbt_project_dir)
    seed = settings.dbt_project_dir / "seeds" / "stop_words.csv"
    seed.write_text(seed.read_text() + "zzz,en\n")
    assert project_fingerprint(settings.dbt_project_dir) != before
    assert build_if_stale(settings, NOTHING)
    assert not build_if_stale(settings, NOTHING)
    assert len(builds) == 3


def test_a_warehouse_without_marts_builds(builds: list[str], pipeline_env) -> None:
    settings = load_settings()
    build_if_stale(settings, LOADED)
    pipeline_env["warehouse"].unlink()  # e.g. a warehouse restored from an old backup
    assert build_if_stale(settings, NOTHING)


def test_a_load_whose_build_failed_is_built_by_the_next_run(builds: list[str], pipeline_env):
    """The earlier run loaded, then its dbt failed: the next run, with nothing new, builds."""
    settings = load_settings()
    assert build_if_stale(settings, LOADED)
    con = duckdb.connect(str(pipeline_env["warehouse"]))
    con.execute(
        "create schema staging; create table staging.load_ledger "
        "(sha256 varchar, load_id varchar, status varchar); "
        "insert into staging.load_ledger values ('abc', 'run2', 'loaded')"
    )
    con.close()  # run2 committed its load; its dbt_build failed, nothing was published
    assert build_if_stale(settings, NOTHING)
    assert not build_if_stale(settings, NOTHING)
    assert len(builds) == 2


def test_a_changed_project_or_a_new_warehouse_rebuilds_whole(builds: list[str], pipeline_env):
    """The marts are incremental: rows an older project computed must not survive a change."""
    settings = load_settings()
    build_if_stale(settings, LOADED)  # the first build: no build recorded, no marts
    build_if_stale(settings, LOADED)  # a new load on the same project: incremental
    seed = settings.dbt_project_dir / "seeds" / "stop_words.csv"
    seed.write_text(seed.read_text() + "zzz,en\n")
    build_if_stale(settings, LOADED)
    pipeline_env["warehouse"].unlink()
    build_if_stale(settings, NOTHING)
    incremental = " ".join(pipeline.INCREMENTAL_BUILD_ARGS)
    assert builds == ["--full-refresh", incremental, "--full-refresh", "--full-refresh"]

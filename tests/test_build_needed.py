"""A run with nothing new skips dbt; anything the marts depend on brings the build back."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from comment_etl import pipeline
from comment_etl.config import load_settings
from comment_etl.transform.build_needed import project_fingerprint
from comment_etl.transform.dbt_build import dbt_executable, dbt_subprocess_env

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


def _dbt_ls(tmp_path: Path, args: list[str]) -> dict[str, dict]:
    """`dbt ls` of the real project with `args`: unique id -> resource type and parents."""
    project = REPO / "dbt"
    command = [
        dbt_executable(), "ls", "--quiet", "--project-dir", str(project),
        "--profiles-dir", str(project), "--output", "json",
        "--output-keys", "unique_id", "resource_type", "depends_on", *args,
    ]  # fmt: skip
    env = dbt_subprocess_env(tmp_path, COMMENTS_WAREHOUSE=str(tmp_path / "unused.duckdb"))
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    nodes = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return {node["unique_id"]: node for node in nodes}


def test_an_incremental_build_leaves_out_only_what_depends_on_the_project_alone(tmp_path):
    """Seeds, the data tests of seeds and unit tests are left out; every model and every data
    test that reads a model stay, also a test on a model that points at a seed."""
    everything = _dbt_ls(tmp_path, [])
    incremental = _dbt_ls(tmp_path, pipeline.INCREMENTAL_BUILD_ARGS)

    def parents(node: dict) -> set[str]:
        return {p.split(".")[0] for p in node["depends_on"]["nodes"]}

    tests = {uid: n for uid, n in everything.items() if n["resource_type"] == "test"}
    of_seeds = {uid for uid, n in tests.items() if parents(n) == {"seed"}}
    reading_models = {uid for uid, n in tests.items() if "model" in parents(n)}
    pointing_at_seeds = {uid for uid in reading_models if "seed" in parents(tests[uid])}
    models = {uid for uid, n in everything.items() if n["resource_type"] == "model"}
    assert of_seeds and reading_models and pointing_at_seeds and models  # the project has them

    left_out = set(everything) - set(incremental)
    kinds = {everything[uid]["resource_type"] for uid in left_out}
    assert kinds == {"seed", "test", "unit_test"}
    assert {uid for uid in left_out if everything[uid]["resource_type"] == "test"} == of_seeds
    assert models | reading_models <= set(incremental)

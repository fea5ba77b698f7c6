"""Running dbt from Airflow: one `dbt build` process against astronomer-cosmos; writes RESULTS.md.

    .venv/bin/python bench/dbt_orchestration/run.py    # everything: ~10 min on 2 cores
    .venv/bin/python bench/dbt_orchestration/run.py --only dbt_build cosmos_dbt_runner_fixed \\
        --runs 1 --no-write                             # a quick look, RESULTS.md untouched

dbt/ is copied to a temp folder first, by default as committed at HEAD (``--dbt-from``), so
every contender builds the same project even while dbt/ is being edited. A temporary warehouse is
built the way the pipeline does it (`comment_etl.pipeline` `discover` -> `parse` -> `load`) from
tests/fixtures (the Perseverance page and every file under tests/fixtures/formats/). Each
contender then runs in a fresh subprocess (``--worker NAME``) on its own copy of that
staging-only warehouse; the parent measures the process's wall time and peak RSS (``ru_maxrss``
from ``wait4``: the largest single process, the worker or one of its dbt children).

Contenders:

* ``dbt_build``: ``comment_etl.transform.dbt_build.run_dbt_build`` (what the DAG's `dbt_build`
  task does): one ``dbt build`` subprocess. Run ``--runs`` times (default 3; the median is
  reported) with one persistent target folder, as in production.
* ``airflow_one_task``: the same call inside one Airflow task, run with ``dag.test()``, so the
  Airflow side of the comparison costs the same as for cosmos.
* ``cosmos_subprocess`` / ``cosmos_dbt_runner``: a DAG with one cosmos ``DbtTaskGroup`` over
  dbt/ (``ExecutionMode.LOCAL``, the venv's dbt, ``profiles_yml_filepath=dbt/profiles.yml``,
  ``TestBehavior.AFTER_EACH``, every task in the one-slot ``duckdb_writer`` pool), with
  ``InvocationMode.SUBPROCESS`` / ``InvocationMode.DBT_RUNNER``, run with ``dag.test()``.
  ``*_fixed`` adds ``should_detach_multiple_parents_tests=True`` and
  ``source_rendering_behavior=WITH_TESTS_OR_FRESHNESS`` (without them this project's run fails
  and skips the source tests). Run by default: ``cosmos_subprocess`` and both ``*_fixed``.

The Airflow workers use a temporary AIRFLOW_HOME (SQLite, `airflow.utils.db.resetdb()`), a
temporary DAGS_FOLDER holding the generated DAG file and a temporary cosmos cache folder, all set
in the environment before Airflow is imported. *DAG parse* is the time to import the DAG file:
cold (first import in the process: cosmos import and its ``dbt ls``) and warm (imported again,
cosmos' ``dbt ls`` cache in an Airflow Variable), and once more in a new interpreter (what each
task process of a deployment pays). After the run each worker opens the warehouse read-only and
then read-write in its own process, as the next pipeline task would if it ran there, and records
what DuckDB said.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))

from _harness import machine, run_measured  # noqa: E402

RESULTS = HERE / "RESULTS.md"
#: The last run's measurements (ignored by git, bench/.gitignore), for --render-only.
LAST_RUN = HERE / "data" / "last_run.json"
DBT_PROJECT = REPO / "dbt"
FIXTURES = REPO / "tests" / "fixtures"
FIXTURE_FILES = [FIXTURES / "perseverance_landing_page.txt", FIXTURES / "formats"]
DBT = Path(sys.executable).with_name("dbt")
WRITER_POOL = "duckdb_writer"  # = comment_etl.config.WRITER_POOL (the parent imports no Airflow)
TIMEOUT_S = 900
#: cosmos variants: (InvocationMode, fixed). `fixed` adds the two RenderConfig options that make
#: cosmos run every test `dbt build` runs, at the right time (see RESULTS.md):
#: should_detach_multiple_parents_tests=True, source_rendering_behavior=WITH_TESTS_OR_FRESHNESS.
COSMOS = {
    "cosmos_subprocess": ("SUBPROCESS", False),
    "cosmos_subprocess_fixed": ("SUBPROCESS", True),
    "cosmos_dbt_runner": ("DBT_RUNNER", False),
    "cosmos_dbt_runner_fixed": ("DBT_RUNNER", True),
}
CONTENDERS = ["dbt_build", "airflow_one_task", *COSMOS]
#: Contenders whose failure on this project is the expected result (exit code stays 0).
EXPECTED_FAILURES = {"cosmos_subprocess", "cosmos_dbt_runner"}
DEFAULT_CONTENDERS = [
    "dbt_build",
    "airflow_one_task",
    "cosmos_subprocess",
    "cosmos_subprocess_fixed",
    "cosmos_dbt_runner_fixed",
]
PACKAGES = [
    "apache-airflow",
    "astronomer-cosmos",
    "dbt-core",
    "dbt-duckdb",
    "duckdb",
]
#: dbt's per-node result line, e.g. "12 of 40 PASS not_null_fct_comments_comment_key ....".
RESULT_LINE = re.compile(r"\b\d+ of \d+ (PASS|FAIL|WARN|ERROR) (\S+)")
ERROR_PATTERN = re.compile(
    r"(IO Error|Binder Error|Catalog Error|Runtime Error|Conflicting lock|different configuration"
    r"|Could not set lock|Traceback|[A-Za-z]+Error: )[^\n]{0,300}"
)

# --- generated DAG files --------------------------------------------------------------------

COSMOS_DAG = '''"""Generated by bench/dbt_orchestration/run.py: dbt/ as one cosmos DbtTaskGroup."""

from datetime import datetime

from airflow.sdk import DAG
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import (
    ExecutionMode,
    InvocationMode,
    SourceRenderingBehavior,
    TestBehavior,
)

with DAG(
    dag_id="bench_cosmos",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={{"retries": 0}},
) as dag:
    DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(dbt_project_path={project!r}, install_dbt_deps=False),
        profile_config=ProfileConfig(
            profile_name="comments",
            target_name="local",
            profiles_yml_filepath={profiles!r},
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.{mode},
            dbt_executable_path={dbt!r},
        ),
        # dbt ls at parse time runs in-process (RenderConfig's default InvocationMode.DBT_RUNNER);
        # RenderConfig.dbt_executable_path must then be unset or equal `which dbt`.
        render_config=RenderConfig(
            test_behavior=TestBehavior.AFTER_EACH,
            should_detach_multiple_parents_tests={fixed!r},
            source_rendering_behavior=SourceRenderingBehavior.{sources},
        ),
        operator_args={{"pool": {pool!r}}},
    )
'''

ONE_TASK_DAG = '''"""Generated by bench/dbt_orchestration/run.py: dbt/ as one `dbt build` task."""

from datetime import datetime

from airflow.sdk import DAG, task

with DAG(
    dag_id="bench_one_task",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={{"retries": 0}},
) as dag:

    @task(pool={pool!r})
    def dbt_build():
        from comment_etl.transform.dbt_build import run_dbt_build

        result = run_dbt_build({project!r}, {warehouse!r}, {target!r})
        return {{"counts": result.counts, "elapsed_s": result.elapsed_s}}

    dbt_build()
'''

# --- workers (each in its own subprocess) ---------------------------------------------------


def work_warehouse(args: argparse.Namespace) -> dict[str, Any]:
    """Landing folder from the fixtures -> parse -> load, through the pipeline's own steps."""
    from comment_etl import pipeline
    from comment_etl.config import load_settings

    settings = load_settings()
    landing = settings.landing_dir
    for source in FIXTURE_FILES:
        if source.is_dir():
            shutil.copytree(source, landing / source.name, dirs_exist_ok=True)
        else:
            landing.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, landing / source.name)
    candidates = pipeline.discover(settings)
    manifests = [pipeline.parse(settings, candidate, "bench") for candidate in candidates]
    summary = pipeline.load(settings, manifests, "bench")
    return {"files": len(candidates), **summary}


def work_dbt_build(args: argparse.Namespace) -> dict[str, Any]:
    import logging

    from comment_etl.transform.dbt_build import run_dbt_build

    logging.basicConfig(level=logging.INFO, stream=sys.stdout)  # dbt's lines, for the test count

    started = time.perf_counter()
    result = run_dbt_build(args.project, args.warehouse, args.target)
    call_s = time.perf_counter() - started
    run_results = json.loads((Path(args.target) / "target" / "run_results.json").read_text())
    return {
        "call_s": call_s,
        "dbt_elapsed_s": result.elapsed_s,
        "counts": result.counts,
        "resources": _count(r["unique_id"].split(".")[0] for r in run_results["results"]),
        **_warehouse_checks(args.warehouse),
    }


def _import_dag(path: Path, name: str) -> tuple[Any, float]:
    import importlib.util

    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag, time.perf_counter() - started


def work_airflow(args: argparse.Namespace) -> dict[str, Any]:
    """Write the DAG file, reset the metadata DB, import the DAG twice, `dag.test()` it."""
    dag_file = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / "bench_dag.py"
    if args.worker == "airflow_one_task":
        text = ONE_TASK_DAG.format(
            pool=WRITER_POOL,
            project=args.project,
            warehouse=args.warehouse,
            target=args.target,
        )
    else:
        mode, fixed = COSMOS[args.worker]
        text = COSMOS_DAG.format(
            project=args.project,
            profiles=str(Path(args.project) / "profiles.yml"),
            dbt=str(DBT),
            mode=mode,
            fixed=fixed,
            sources="WITH_TESTS_OR_FRESHNESS" if fixed else "NONE",
            pool=WRITER_POOL,
        )
    dag_file.write_text(text)

    started = time.perf_counter()
    from airflow.models.pool import Pool
    from airflow.utils import db

    db.resetdb()
    Pool.create_or_update_pool(WRITER_POOL, slots=1, description="bench", include_deferred=False)
    setup_s = time.perf_counter() - started

    dag, parse_cold_s = _import_dag(dag_file, "bench_dag_cold")
    _, parse_warm_s = _import_dag(dag_file, "bench_dag_warm")
    kinds: dict[str, int] = {}
    for task in dag.tasks:
        kinds[type(task).__name__] = kinds.get(type(task).__name__, 0) + 1

    started = time.perf_counter()
    error = None
    try:
        dag_run = dag.test(logical_date=datetime.now(UTC))
    except Exception as exc:  # recorded, not raised: a failed contender is a result
        dag_run, error = None, f"{type(exc).__name__}: {exc}"
    test_s = time.perf_counter() - started

    tasks = _task_instances(dag_run) if dag_run is not None else {}
    durations = [t["duration_s"] for t in tasks.values() if t["duration_s"] is not None]
    ran = [t for t in tasks.values() if t["state"] in ("success", "failed")]
    return {
        "setup_s": setup_s,
        "fresh_process": _fresh_process_parse(dag_file),
        "tasks_ran": len(ran),
        "parse_cold_s": parse_cold_s,
        "parse_warm_s": parse_warm_s,
        "tasks": len(dag.tasks),
        "task_kinds": kinds,
        "test_s": test_s,
        "state": str(dag_run.state) if dag_run is not None else "error",
        "error": error,
        "task_states": _count(t["state"] for t in tasks.values()),
        "failed_tasks": sorted(k for k, t in tasks.items() if t["state"] not in ("success",)),
        "task_sum_s": sum(durations),
        "task_median_s": statistics.median(durations) if durations else None,
        "task_max_s": max(durations) if durations else None,
        **_warehouse_checks(args.warehouse),
    }


FRESH_PROCESS_PROBE = """
import importlib.util, json, sys, time
t0 = time.perf_counter()
import airflow.sdk
t1 = time.perf_counter()
spec = importlib.util.spec_from_file_location("bench_dag_fresh", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
t2 = time.perf_counter()
from dbt.cli.main import dbtRunner
t3 = time.perf_counter()
print(json.dumps({"airflow_s": t1 - t0, "dag_s": t2 - t1, "dbt_import_s": t3 - t2}))
"""


def _fresh_process_parse(dag_file: Path) -> dict[str, float] | str:
    """What each task process of a real deployment pays before dbt runs: a new Python imports
    Airflow, parses the DAG file (cosmos' dbt ls cache is warm by now), and for DBT_RUNNER
    imports dbt. Timed in a new interpreter with this worker's environment."""
    proc = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS_PROBE, str(dag_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        return f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"
    return json.loads(lines[-1])


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _task_instances(dag_run: Any) -> dict[str, dict[str, Any]]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(TaskInstance).filter(
            TaskInstance.dag_id == dag_run.dag_id, TaskInstance.run_id == dag_run.run_id
        )
        return {
            ti.task_id: {"state": str(ti.state), "duration_s": ti.duration} for ti in rows.all()
        }


OTHER_PROCESS_PROBE = """
import sys, duckdb
try:
    duckdb.connect(sys.argv[1], read_only=True).close()
    print("ok")
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}".splitlines()[0])
"""


def _warehouse_checks(warehouse: str) -> dict[str, Any]:
    """Open the warehouse from another process while this one lives (is the file still locked?),
    then read-only and read-write in THIS process (as a later task in it would)."""
    import duckdb

    probe = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS_PROBE, warehouse],
        capture_output=True,
        text=True,
        check=False,
    )
    checks: dict[str, Any] = {"other_process_open": (probe.stdout or probe.stderr).strip()[-300:]}
    for label, read_only in (("read_only_open", True), ("read_write_open", False)):
        try:
            con = duckdb.connect(warehouse, read_only=read_only)
            try:
                rows = con.execute("select count(*) from marts.fct_comments").fetchone()
                checks[label] = f"ok ({rows[0] if rows else '?'} rows in marts.fct_comments)"
            finally:
                con.close()
        except Exception as exc:
            checks[label] = f"{type(exc).__name__}: {exc}"
    return checks


WORKERS = {
    "warehouse": work_warehouse,
    "dbt_build": work_dbt_build,
    "airflow_one_task": work_airflow,
    **dict.fromkeys(COSMOS, work_airflow),
}


def worker_main(args: argparse.Namespace) -> int:
    result = WORKERS[args.worker](args)
    print("RESULT " + json.dumps(result, default=str), flush=True)
    return 0


# --- measuring a worker (in the parent) -----------------------------------------------------


@dataclass
class Measurement:
    label: str
    wall: float
    max_rss_mb: float
    returncode: int
    log: Path
    result: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    #: dbt tests (data and unit tests) seen in the worker's output -> last status
    tests: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        if self.returncode != 0 or not self.result:
            return False
        return self.result.get("state", "success") in ("success", "DagRunState.SUCCESS")


def _worker_env(work: Path, warehouse: Path, worker: str) -> dict[str, str]:
    env = {
        **os.environ,
        "COMMENTS_LANDING_DIR": str(work / "landing"),
        "COMMENTS_WAREHOUSE": str(warehouse),
        "COMMENTS_BI_SNAPSHOT": str(work / "comments_bi.duckdb"),
        "COMMENTS_WORK_DIR": str(work / "parse"),
        "COMMENTS_DBT_TARGET_DIR": str(work / "dbt_target"),
        # The warehouse only feeds dbt here; fastText alone is enough and quick to load.
        "COMMENTS_LANGUAGE_DETECTOR": "fasttext",
        "COMMENTS_IGNORE_AIRFLOW_VARIABLES": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    if worker == "airflow_one_task" or worker in COSMOS:
        home = work / "airflow_home"
        (home / "dags").mkdir(parents=True, exist_ok=True)
        env |= {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos_cache"),
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        }
    return env


def measure(
    label: str, worker: str, work: Path, warehouse: Path, target: Path, project: Path
) -> Measurement:
    work.mkdir(parents=True, exist_ok=True)
    log_path = work / f"{label}.log"
    cmd = [sys.executable, __file__, "--worker", worker]
    cmd += ["--warehouse", str(warehouse), "--target", str(target), "--project", str(project)]
    run = run_measured(
        cmd,
        log_path=log_path,
        env=_worker_env(work, warehouse, worker),
        cwd=REPO,
        timeout_s=TIMEOUT_S,
    )
    output = log_path.read_text(errors="replace")
    results = [line for line in output.splitlines() if line.startswith("RESULT ")]
    m = Measurement(
        label=label,
        wall=run.wall,
        max_rss_mb=run.max_rss_mb,
        returncode=run.returncode,
        log=log_path,
        result=json.loads(results[-1][len("RESULT ") :]) if results else {},
        tests={
            name: status
            for status, name in RESULT_LINE.findall(output)
            # not a model's "ERROR creating ..." nor a source's "PASS freshness of ..."
            if name not in ("creating", "freshness")
        },
    )
    if not m.ok:
        seen: list[str] = []
        for match in ERROR_PATTERN.finditer(output):
            text = match.group(0).strip()
            if text not in seen:
                seen.append(text)
        m.errors = seen[:8] or [line for line in output.splitlines() if line.strip()][-3:]
    _progress(m)
    return m


def _progress(m: Measurement) -> None:
    r = m.result
    inner = r.get("test_s") or r.get("call_s")
    status = "ok" if m.ok else f"FAILED (exit {m.returncode}, state {r.get('state')})"
    print(
        f"  {m.label:<22} {status:<8} process {m.wall:6.1f} s"
        + (f", run {inner:6.1f} s" if inner else "")
        + (f", {r['tasks']} tasks" if "tasks" in r else "")
        + f", peak RSS {m.max_rss_mb:5.0f} MB",
        flush=True,
    )
    for error in m.errors:
        print(f"      {error[:300]}", flush=True)


# --- the benchmark (in the parent) ----------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="+", choices=CONTENDERS, default=DEFAULT_CONTENDERS)
    parser.add_argument("--runs", type=int, default=3, help="runs of dbt_build (median)")
    parser.add_argument(
        "--dbt-from",
        default="HEAD",
        help="git revision to take dbt/ from, or 'worktree' (default: HEAD)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs)")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help=f"rewrite RESULTS.md from the last run ({LAST_RUN.relative_to(REPO)}), run nothing",
    )
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args)

    if args.render_only:
        runs, meta = load_run()
    else:
        meta = {
            "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
            "machine": machine(),
            "python": platform.python_version(),
            "versions": _versions(),
            # output-only flags do not change what is measured
            "argv": [a for a in sys.argv[1:] if a not in ("--keep", "--no-write")],
        }
        root = Path(tempfile.mkdtemp(prefix="bench-dbt-orchestration-"))
        print(f"temp folder: {root}", flush=True)
        try:
            runs = run_all(root, args)
        finally:
            if args.keep:
                print(f"kept {root}", flush=True)
            else:
                shutil.rmtree(root, ignore_errors=True)
        meta["project_source"] = args.project_source
        save_run(runs, meta)
    text = render(runs, meta)
    print(text.split("## Table", 1)[1].split("##", 1)[0].strip(), flush=True)
    if not args.no_write:
        RESULTS.write_text(text)
        print(f"wrote {RESULTS.relative_to(REPO)}", flush=True)
    # The cosmos defaults failing is a finding (see RESULTS.md), not a broken benchmark.
    failed = [
        m.label
        for name, ms in runs.items()
        if name not in EXPECTED_FAILURES
        for m in ms
        if not m.ok
    ]
    return 1 if failed else 0


def save_run(runs: dict[str, list[Measurement]], meta: dict[str, Any]) -> None:
    LAST_RUN.parent.mkdir(parents=True, exist_ok=True)
    data = {name: [{**m.__dict__, "log": str(m.log)} for m in ms] for name, ms in runs.items()}
    LAST_RUN.write_text(json.dumps({"meta": meta, "runs": data}, indent=1, default=str))


def load_run() -> tuple[dict[str, list[Measurement]], dict[str, Any]]:
    data = json.loads(LAST_RUN.read_text())
    runs = {
        name: [Measurement(**{**m, "log": Path(m["log"])}) for m in ms]
        for name, ms in data["runs"].items()
    }
    return runs, data["meta"]


def snapshot_project(dest: Path, source: str) -> str:
    """Copy dbt/ from a git revision (`git archive`, the work tree is not touched) or from the
    work tree to `dest`; returns what was copied."""
    if source == "worktree":
        ignore = shutil.ignore_patterns("target", "logs", "dbt_packages")
        shutil.copytree(DBT_PROJECT, dest, ignore=ignore)
        return "dbt/ as in the work tree"
    git = ["git", "-C", str(REPO)]
    commit = subprocess.run(
        [*git, "rev-parse", "--short", source], capture_output=True, text=True, check=True
    ).stdout.strip()
    archive = subprocess.run([*git, "archive", commit, "dbt"], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest.parent, filter="data")
    changed = subprocess.run(
        [*git, "status", "--porcelain", "--", "dbt"], capture_output=True, text=True, check=True
    ).stdout.strip()
    edits = " (the work tree had uncommitted changes in dbt/, not benchmarked)" if changed else ""
    return f"dbt/ at commit {commit}{edits}"


def run_all(root: Path, args: argparse.Namespace) -> dict[str, list[Measurement]]:
    # Every contender builds the same snapshot of dbt/ (it may be edited while this runs).
    project = root / "dbt"
    args.project_source = snapshot_project(project, args.dbt_from)
    print(f"dbt project: {args.project_source}", flush=True)
    base = root / "base" / "comments.duckdb"
    print("building the warehouse (pipeline discover -> parse -> load)", flush=True)
    built = measure(
        "warehouse", "warehouse", root / "base", base, root / "base" / "dbt_target", project
    )
    if not built.ok:
        raise SystemExit(f"could not build the warehouse; see {built.log}")
    runs: dict[str, list[Measurement]] = {"warehouse": [built]}

    def fresh_copy(name: str) -> tuple[Path, Path]:
        work = root / name
        work.mkdir(parents=True, exist_ok=True)
        warehouse = work / "comments.duckdb"
        shutil.copy2(base, warehouse)
        return work, warehouse

    for contender in args.only:
        runs[contender] = []
        count = args.runs if contender == "dbt_build" else 1
        for i in range(count):
            label = f"{contender}#{i + 1}" if count > 1 else contender
            work, warehouse = fresh_copy(label.replace("#", "_"))
            # dbt_build's runs share one target folder, as in production (partial parsing)
            target = root / f"{contender}_target"
            runs[contender].append(measure(label, contender, work, warehouse, target, project))
    return runs


# --- RESULTS.md -----------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _versions() -> str:
    found = []
    for name in PACKAGES:
        with contextlib.suppress(Exception):
            found.append(f"{name} {version(name)}")
    return ", ".join(found)


@dataclass
class Row:
    """One line of the table: a contender's representative measurement and its wall time."""

    name: str
    m: Measurement
    wall: float | None
    tasks: int
    ran: int
    ok: bool
    note: str = ""

    @property
    def per_task(self) -> float | None:
        return self.wall / self.ran if self.wall is not None and self.ran else None


def rows(runs: dict[str, list[Measurement]]) -> list[Row]:
    found: list[Row] = []
    builds = runs.get("dbt_build", [])
    if builds:
        walls = [m.wall for m in builds]
        median = statistics.median(walls)
        middle = min(builds, key=lambda m: abs(m.wall - median))
        each = ", ".join(_fmt(w) for w in walls)
        dbt_s = ", ".join(_fmt(m.result.get("dbt_elapsed_s")) for m in builds)
        peak = max(m.max_rss_mb for m in builds)
        middle = Measurement(**{**middle.__dict__, "max_rss_mb": peak})
        found.append(
            Row(
                f"dbt_build (median of {len(builds)})",
                middle,
                median,
                1,
                1,
                all(m.ok for m in builds),
                f"`run_dbt_build` in a plain Python process; processes {each} s; dbt's own "
                f"elapsed_time {dbt_s} s (the rest is dbt start-up and project parsing)",
            )
        )
    for name in ("airflow_one_task", *COSMOS):
        for m in runs.get(name, []):
            r = m.result
            tasks = r.get("tasks", 0)
            found.append(Row(name, m, r.get("test_s"), tasks, r.get("tasks_ran", tasks), m.ok))
    return found


def _find(found: list[Row], name: str) -> Row | None:
    return next((row for row in found if row.name.split(" ")[0] == name), None)


def _missing_tests(row: Row, reference: dict[str, str]) -> str:
    missing = sorted(set(reference) - set(row.m.tests))
    if not reference or not missing:
        return ""
    sources = [name for name in missing if name.startswith("source_")]
    others = [name for name in missing if not name.startswith("source_")]
    parts = []
    if sources:
        parts.append(f"{len(sources)} source tests")
    if others:
        shown = ", ".join(f"`{name}`" for name in others[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        parts.append(f"{len(others)} others ({shown}{more})")
    return f"tests not run: {' and '.join(parts)}"


def _fresh(r: dict[str, Any]) -> str:
    fresh = r.get("fresh_process")
    if not isinstance(fresh, dict):
        return "–"
    return f"{_fmt(fresh['airflow_s'])} + {_fmt(fresh['dag_s'])} (+ {_fmt(fresh['dbt_import_s'])})"


def table(found: list[Row], reference: dict[str, str], one_task: Row | None) -> list[str]:
    lines = [
        "| contender | succeeded | Airflow tasks (ran) | wall s | wall / task ran s | extra s per"
        " added task | DAG parse s (cold / warm) | new task process s: Airflow + DAG (+ dbt) |"
        " peak RSS MB | dbt tests run | read-only open after the run, same process |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in found:
        r = row.m.result
        parse = (
            f"{_fmt(r['parse_cold_s'])} / {_fmt(r['parse_warm_s'], 2)}"
            if "parse_cold_s" in r
            else "–"
        )
        extra = None
        if one_task and one_task.wall and row.wall and row.ran > 1:
            extra = (row.wall - one_task.wall) / (row.ran - 1)
        opened = str(r.get("read_only_open", "–")).splitlines()[0]
        tests = f"{len(row.m.tests)} of {len(reference)}" if reference else str(len(row.m.tests))
        count = f"{row.tasks} ({row.ran})" if row.ran != row.tasks else str(row.tasks or "–")
        lines.append(
            f"| {row.name} | {'yes' if row.ok else '**no**'} | {count} | {_fmt(row.wall)} | "
            f"{_fmt(row.per_task, 2)} | {_fmt(extra, 2)} | {parse} | {_fresh(r)} | "
            f"{_fmt(row.m.max_rss_mb, 0)} | {tests} | {opened} |"
        )
    return lines


def notes(found: list[Row], reference: dict[str, str]) -> list[str]:
    lines = []
    for row in found:
        r = row.m.result
        parts = [row.note] if row.note else []
        if "test_s" in r:
            kinds = ", ".join(f"{v} {k}" for k, v in sorted(r.get("task_kinds", {}).items()))
            states = ", ".join(f"{v} {k}" for k, v in sorted(r.get("task_states", {}).items()))
            parts.append(
                f"tasks: {kinds}; states: {states}; task duration median "
                f"{_fmt(r.get('task_median_s'))} s, max {_fmt(r.get('task_max_s'))} s, sum "
                f"{_fmt(r.get('task_sum_s'))} s; worker process {_fmt(row.m.wall)} s in all "
                f"(resetdb {_fmt(r.get('setup_s'))} s)"
            )
        missing = _missing_tests(row, reference)
        if missing:
            parts.append(missing)
        if r.get("read_write_open") and r.get("read_write_open") != r.get("read_only_open"):
            parts.append(f"read-write open after the run: {r['read_write_open']}")
        if r.get("other_process_open") and r["other_process_open"] != "ok":
            parts.append(
                "read-only open from another process while the worker still ran: "
                f"{_short_error(r['other_process_open'])}"
            )
        if isinstance(r.get("fresh_process"), str):
            parts.append(f"fresh-process parse failed: {r['fresh_process']}")
        if not row.ok:
            failed = r.get("failed_tasks") or []
            if failed:
                parts.append(f"tasks not successful: {', '.join(failed[:6])}")
            if r.get("error"):
                parts.append(f"error: {r['error'][:300]}")
            errors: list[str] = []
            for error in row.m.errors:  # cosmos logs dbt's lines twice, once with a logger suffix
                error = re.sub(r"\s*\[[\w.]+\]\s*loc=\S+$", "", error)
                if error not in errors:
                    errors.append(error)
            parts += [f"`{e[:240]}`" for e in errors[:4]]
        lines.append(f"- **{row.name}**: " + "; ".join(parts) + ".")
    return lines


def render(runs: dict[str, list[Measurement]], meta: dict[str, Any]) -> str:
    built = runs["warehouse"][0].result
    found = rows(runs)
    reference = next((row.m.tests for row in found if row.name.startswith("dbt_build")), {})
    one_task = _find(found, "airflow_one_task")
    first = _find(found, "dbt_build")
    counts = first.m.result.get("counts", {}) if first else {}
    kinds = first.m.result.get("resources", {}) if first else {}
    resources = ", ".join(f"{kind}: {n}" for kind, n in sorted(kinds.items()))
    out = [
        "# dbt orchestration benchmark: one `dbt build` task vs astronomer-cosmos",
        "",
        "Command (from the repository root): `.venv/bin/python bench/dbt_orchestration/run.py`"
        + (f" (this run: `run.py {' '.join(meta['argv'])}`)" if meta["argv"] else ""),
        "",
        f"Date: {meta['date']} UTC. Machine: {meta['machine']}, shared with other "
        f"work: the load changes from run to run, and so do the times (by up to ~60% between "
        f"runs here; the ratios hold). Python {meta['python']}; {meta['versions']}.",
        "",
        "Data: a warehouse built by the pipeline's own `discover` → `parse` → `load` from "
        f"tests/fixtures ({built.get('files')} files, {built.get('files_loaded')} loaded, "
        f"{built.get('comments')} comments, {built.get('rejects')} rejects); each contender gets "
        f"a fresh copy. `dbt build` of {meta['project_source']} reports {counts}: {resources}. "
        "At this size dbt's start-up, not the SQL, is the cost, which is what differs between "
        "the contenders (the SQL costs the same under any orchestration).",
        "",
        "Cosmos DAG (generated): one `DbtTaskGroup`, `ExecutionMode.LOCAL`, "
        "`ExecutionConfig(dbt_executable_path=.venv/bin/dbt, invocation_mode=...)`, "
        "`ProfileConfig(profile_name='comments', target_name='local', "
        "profiles_yml_filepath='dbt/profiles.yml')`, `RenderConfig(test_behavior=AFTER_EACH)`, "
        "`operator_args={'pool': 'duckdb_writer'}` (one slot). `_fixed` adds "
        "`RenderConfig(should_detach_multiple_parents_tests=True, "
        "source_rendering_behavior=WITH_TESTS_OR_FRESHNESS)`.",
        "",
        "## Table",
        "",
        *table(found, reference, one_task),
        "",
        "*wall s*: `dbt_build`: the whole worker process (Python start, `run_dbt_build`, which "
        "starts `dbt build`); Airflow rows: the `dag.test()` call (it re-parses the DAG folder, "
        "then runs the tasks one after the other in the worker process, as a one-slot pool "
        "would; resetdb and the parse measurement are not included). *wall / task ran*: over "
        "the tasks that ran (not those skipped as upstream_failed). *extra s per added task*: "
        "(wall − airflow_one_task wall) / (tasks ran − 1). *DAG parse*: importing the generated "
        "DAG file in the worker; cold = first import in the process (cosmos import plus its "
        "`dbt ls`), warm = imported again with cosmos' `dbt ls` cache (an Airflow Variable) "
        "filled. *new task process*: in a fresh interpreter, seconds to import `airflow.sdk`, "
        "then to parse the DAG file (warm cache), then to import dbt — what each task process "
        "of a real deployment pays before its dbt starts (`dag.test()` runs all tasks in one "
        "process, so it does not show this). *peak RSS*: `ru_maxrss` of the worker from "
        "`wait4` = its largest single process (the worker or one dbt child). *dbt tests run*: "
        "distinct data/unit tests in dbt's result lines of the worker output, against those "
        "`dbt build` runs. *read-only open*: after the run the worker calls "
        "`duckdb.connect(warehouse, read_only=True)` in its own process.",
        "",
        "## Per contender",
        "",
        *notes(found, reference),
        "",
        *conclusion(found, reference),
        "",
    ]
    return "\n".join(out)


def _short_error(text: Any) -> str:
    """First sentence of DuckDB's message, the temp path and PID made generic."""
    first = str(text).splitlines()[0].split(". See also")[0]
    first = re.sub(r'"/[^"]*/([^/"]+)"', r'"…/\1"', first)
    return re.sub(r"\(PID \d+\)", "(PID of the worker)", first)[:240]


def conclusion(found: list[Row], reference: dict[str, str]) -> list[str]:
    build, one = _find(found, "dbt_build"), _find(found, "airflow_one_task")
    sub, sub_fixed = _find(found, "cosmos_subprocess"), _find(found, "cosmos_subprocess_fixed")
    runner = _find(found, "cosmos_dbt_runner_fixed") or _find(found, "cosmos_dbt_runner")
    if not (build and one and sub and sub_fixed and runner and sub_fixed.wall and runner.wall):
        return ["## Conclusion", "", "(Run every default contender for the conclusion.)"]
    fresh = runner.m.result.get("fresh_process")
    median = runner.m.result.get("task_median_s")
    low = high = None
    if isinstance(fresh, dict) and median:
        # forked from a process that has Airflow imported / a new interpreter
        low = runner.tasks * (fresh["dag_s"] + fresh["dbt_import_s"] + median)
        high = runner.tasks * (fresh["airflow_s"] + fresh["dag_s"] + fresh["dbt_import_s"] + median)
    states = ", ".join(f"{v} {k}" for k, v in sorted(sub.m.result.get("task_states", {}).items()))
    source_tests = [t for t in reference if t.startswith("source_") and t not in sub.m.tests]
    return [
        "## Conclusion",
        "",
        "**Keep the single `dbt build` task** (`run_dbt_build`, what `comments_daily` does "
        "now); do not use cosmos for this project.",
        "",
        f"- **Time under the one-writer pool.** `dbt build` does everything in {_fmt(build.wall)}"
        f" s (the SQL itself is ~{_fmt(build.m.result.get('dbt_elapsed_s'))} s; the rest is one "
        f"dbt start-up and project parse); as an Airflow task {_fmt(one.wall)} s. Cosmos turns "
        f"the project into {sub_fixed.tasks} tasks. Every one of them opens the warehouse "
        "read-write (dbt-duckdb does, for tests too) and DuckDB allows one writing process per "
        "file, so all must sit in the one-slot `duckdb_writer` pool: they run one at a time, "
        "parallelism buys nothing, and each pays dbt's start-up again: "
        f"{_fmt(sub_fixed.wall)} s with SUBPROCESS ({_fmt(sub_fixed.per_task)} s per task, "
        f"{sub_fixed.wall / one.wall:.0f}× the one task), all of it holding the writer slot. "
        "A real scheduler adds its own latency per task on top (`dag.test()` has none).",
        f"- **DBT_RUNNER looks fast only under `dag.test()`** ({_fmt(runner.wall)} s, "
        f"{_fmt(runner.per_task)} s per task): all tasks share one process in which dbt is "
        "imported and the project parsed once. In a deployment each task runs in its own "
        "process, which parses the cosmos DAG file and imports dbt before its "
        f"~{_fmt(median)} s of dbt"
        + (
            f": about {_fmt(low, 0)} s for the {runner.tasks} tasks if the executor forks them "
            f"from a process with Airflow imported, {_fmt(high, 0)} s from a new interpreter "
            "(from the *new task process* column), still many times one `dbt build`."
            if low is not None and high is not None
            else "."
        ),
        "- **DBT_RUNNER and DuckDB.** dbt-duckdb keeps its DuckDB instance open in the "
        "process after dbtRunner returns (the class-level `DuckDBConnectionManager._ENV`). A "
        "later read-only open in the same process: "
        f"`{str(runner.m.result.get('read_only_open')).splitlines()[0][:200]}`; read-write "
        f"(same configuration, the cached instance is reused): "
        f"`{str(runner.m.result.get('read_write_open')).splitlines()[0][:80]}`; read-only from "
        "another process while that one lives: "
        f"`{_short_error(runner.m.result.get('other_process_open'))}`. `discover` "
        "(`known_sha256`) opens the warehouse read-only, so wherever tasks share a process "
        "(`dag.test()`, hence our DAG tests) the next `discover` would fail.",
        "- **Cosmos defaults are wrong for this project.** With AFTER_EACH and EAGER indirect "
        f"selection the run {'failed' if not sub.ok else 'ran'} on a fresh warehouse ({states}): "
        "the seed's and `dim_contents`' test tasks pick up the `relationships` tests whose "
        "other parent (`int_comment_themes`, `theme_summary`, the marts) is not built yet. On "
        "a warehouse built before, the same tests would pass against the previous run's "
        "tables. Sources are not rendered by default (`source_rendering_behavior=NONE`), so "
        f"the {len(source_tests)} source tests never run. `should_detach_multiple_parents_tests="
        "True` and "
        "`source_rendering_behavior=WITH_TESTS_OR_FRESHNESS` fix both, for "
        f"{sub_fixed.tasks - sub.tasks} more tasks (and `dbt source freshness` runs, which "
        "`dbt build` does not do).",
        f"- **DAG parsing.** The cosmos DAG file costs ~{_fmt(sub_fixed.m.result['parse_cold_s'])}"
        " s to parse cold (cosmos runs `dbt ls`; `RenderConfig.dbt_executable_path` must be "
        "left unset with the default in-process render, see below) and "
        f"~{_fmt(sub_fixed.m.result['parse_warm_s'], 2)} s warm from its cache, which lives in "
        "Airflow Variables (the metadata DB) and is refreshed whenever dbt/ changes; the plain "
        f"DAG parses in {_fmt(one.m.result.get('parse_cold_s'))} s.",
        "- **What cosmos would buy** (a task, retry and asset per model) matters little here: "
        "`run_dbt_build` already logs every node's status from `run_results.json` and names the "
        "failing model or test in the task error, and a retry rebuilds everything in "
        f"~{_fmt(build.wall, 0)} s. Revisit only if a full rebuild becomes expensive; then "
        "prefer `dbt retry` / `--select result:error+` inside the one task, or cosmos' "
        "experimental `ExecutionMode.WATCHER` (one `dbt build` producer plus sensors; not "
        "measured here) over one dbt process per node.",
        "",
        "Setup notes (Airflow 3.3 + cosmos 1.15): with the venv not on PATH, "
        "`RenderConfig(dbt_executable_path=.venv/bin/dbt)` raises `CosmosValueError: "
        "RenderConfig.dbt_executable_path is set, but it is not the same as the system dbt "
        "executable path. Do not set render_config.dbt_executable_path when using "
        "InvocationMode.DBT_RUNNER.` (the render default is DBT_RUNNER); set only "
        "`ExecutionConfig.dbt_executable_path`. Cosmos copies the project to a temp folder per "
        "task, so nothing is written into dbt/. Its model tasks emit assets through an "
        "`AssetAlias` (Airflow 3 path), which worked under `dag.test()`.",
    ]


if __name__ == "__main__":
    sys.exit(main())

"""Run `dbt build` on the warehouse in one subprocess and explain the result.

Why one `dbt build` process and not one Airflow task per model (astronomer-cosmos): DuckDB
allows one writer per file, so per-model tasks would all queue on the one-slot writer pool
anyway, and each would pay dbt's start-up (~2-3 s a node). One process builds the whole
project in seconds, holds the file only while it runs, and its `run_results.json` gives the
per-node status that we log, so a failing model or test is still named in the task log.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from comment_etl.warehouse.limits import dbt_env

log = logging.getLogger(__name__)


class DbtBuildFailed(RuntimeError):
    pass


@dataclass
class DbtResult:
    returncode: int
    counts: dict[str, int]
    failures: list[str]
    elapsed_s: float


def dbt_executable() -> str:
    """The dbt installed next to this Python (the project's venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if not found:
        raise DbtBuildFailed("dbt is not installed in this environment (pip install dbt-duckdb)")
    return found


def _summarize(run_results: Path) -> tuple[dict[str, int], list[str], float]:
    if not run_results.exists():
        return {}, [], 0.0
    data = json.loads(run_results.read_text())
    counts: dict[str, int] = {}
    failures = []
    for result in data.get("results", []):
        status = str(result.get("status"))
        counts[status] = counts.get(status, 0) + 1
        if status in {"error", "fail", "runtime error"}:
            failures.append(f"{result.get('unique_id')}: {status}: {result.get('message')}")
    return counts, failures, float(data.get("elapsed_time", 0.0))


def run_dbt_build(
    project_dir: str | Path,
    warehouse: str | Path,
    target_dir: str | Path,
    extra_args: list[str] | None = None,
) -> DbtResult:
    """`dbt build` the project against `warehouse`; raises DbtBuildFailed naming failed nodes."""
    project_dir, target_dir = Path(project_dir), Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "COMMENTS_WAREHOUSE": str(Path(warehouse).resolve()),
        **dbt_env(warehouse),
        "DBT_TARGET_PATH": str(target_dir / "target"),
        "DBT_LOG_PATH": str(target_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    command = [
        dbt_executable(),
        "build",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        *(extra_args or []),
    ]
    log.info("running: %s", " ".join(command))
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        log.info("dbt | %s", line)
    for line in proc.stderr.splitlines():
        log.warning("dbt | %s", line)
    counts, failures, elapsed = _summarize(target_dir / "target" / "run_results.json")
    result = DbtResult(proc.returncode, counts, failures, elapsed)
    if proc.returncode != 0:
        detail = "; ".join(failures) or proc.stdout[-2000:]
        raise DbtBuildFailed(
            f"dbt build failed (exit {proc.returncode}): {detail}. The staging load of this run "
            "is committed; fix the model or data and clear this task to rebuild the marts."
        )
    log.info("dbt build ok in %.1fs: %s", elapsed, counts)
    return result

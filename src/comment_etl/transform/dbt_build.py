"""Run `dbt build` on the warehouse in one subprocess and explain the result.

Why one `dbt build` process and not one Airflow task per model (astronomer-cosmos): DuckDB
allows one writer per file, so per-model tasks would all queue on the one-slot writer pool
anyway, and each would pay dbt's start-up (~2-3 s a node). One process builds the whole
project in seconds, holds the file only while it runs, and its `run_results.json` gives the
per-node status that we log, so a failing model or test is still named in the task log.

dbt's output is streamed to the task log line by line as it runs, so a hung build shows the node
it hangs on. Before the build, the seed regexes are checked (`seed_patterns`) and the warehouse
lock is tried (a clear "another run / a BI tool holds the warehouse" instead of dbt's
traceback). A stale ``run_results.json`` of an earlier build is removed first, so a build that
dies (killed by a signal) is explained by its own output: the signal and the nodes it had
started but not finished.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from comment_etl.transform.seed_patterns import check_seed_patterns
from comment_etl.warehouse.connect import connect, explain_lock_error
from comment_etl.warehouse.extensions import ensure_extension_directory
from comment_etl.warehouse.limits import dbt_env
from comment_etl.warehouse.target import Lake, Warehouse

log = logging.getLogger(__name__)

#: dbt's progress lines: "12 of 40 START sql table model marts.fct_comments ...",
#: "12 of 40 OK created sql table model ...", "13 of 40 ERROR creating ...", "... FAIL 1 ...".
_PROGRESS = re.compile(
    r"\b(?P<index>\d+) of (?P<total>\d+) (?P<word>START|OK|PASS|ERROR|FAIL|WARN|SKIP)\b"
    r"(?P<rest>.*)"
)


class DbtBuildFailed(RuntimeError):
    pass


@dataclass
class DbtResult:
    returncode: int
    counts: dict[str, int]
    failures: list[str]
    elapsed_s: float


@dataclass
class _Progress:
    """What this dbt process said about its nodes, from its own output."""

    started: dict[str, str] = field(default_factory=dict)  # "i of n" -> node description
    failed: list[str] = field(default_factory=list)
    finished: set[str] = field(default_factory=set)
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=40))
    lock_error: str | None = None

    def see(self, line: str) -> None:
        self.tail.append(line)
        if self.lock_error is None and "Could not set lock" in line:
            self.lock_error = line
        match = _PROGRESS.search(line)
        if not match:
            return
        key = f"{match['index']} of {match['total']}"
        rest = re.sub(r"\s*\.{2,}.*$", "", match["rest"]).strip()
        if match["word"] == "START":
            self.started[key] = rest
            return
        self.finished.add(key)
        if match["word"] in {"ERROR", "FAIL"}:
            self.failed.append(f"{match['word']} {rest or self.started.get(key, key)}")

    def unfinished(self) -> list[str]:
        return [node for key, node in self.started.items() if key not in self.finished]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _stream(command: list[str], env: dict[str, str]) -> tuple[int, _Progress]:
    """Run dbt, logging each line as it comes; stop dbt if this task is stopped."""
    progress = _Progress()
    proc = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        bufsize=1,
    )
    try:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip("\n")
            log.info("dbt | %s", line)
            progress.see(line)
        return proc.wait(), progress
    finally:
        if proc.poll() is None:  # the task timed out or was killed: dbt must not linger
            log.warning("stopping dbt (PID %d)", proc.pid)
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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


def dbt_subprocess_env(target_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a dbt process: its own target and log folders, no telemetry."""
    return {
        **os.environ,
        **settings,
        "DBT_TARGET_PATH": str(target_dir / "target"),
        "DBT_LOG_PATH": str(target_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }


def profile_target(warehouse: Warehouse) -> tuple[str, dict[str, str]]:
    """The dbt/profiles.yml target for `warehouse` and the environment its profile reads.

    A `Lake` pinned to a snapshot (the published one) gets the read-only ``lake_snapshot``
    target; a lake otherwise ``lake``; a file ``local``.
    """
    if isinstance(warehouse, Lake):
        env = {
            "COMMENTS_LAKE_URI": warehouse.uri,
            "COMMENTS_LAKE_DATA_PATH": warehouse.data_path,
            "COMMENTS_DUCKDB_EXTENSION_DIR": str(ensure_extension_directory()),
        }
        if warehouse.snapshot_version is None:
            return "lake", env
        env["COMMENTS_LAKE_SNAPSHOT_VERSION"] = str(warehouse.snapshot_version)
        return "lake_snapshot", env
    return "local", {"COMMENTS_WAREHOUSE": str(Path(warehouse).resolve())}


def run_dbt_build(
    project_dir: str | Path,
    warehouse: Warehouse,
    target_dir: str | Path,
    extra_args: list[str] | None = None,
) -> DbtResult:
    """`dbt build` the project against `warehouse`; raises DbtBuildFailed naming failed nodes."""
    project_dir, target_dir = Path(project_dir), Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    check_seed_patterns(project_dir)
    if not isinstance(warehouse, Lake):
        with connect(warehouse):  # WarehouseLocked names the holder before dbt's traceback
            pass
    run_results = target_dir / "target" / "run_results.json"
    run_results.unlink(missing_ok=True)  # never explain this run with an older run's results
    target, target_env = profile_target(warehouse)
    env = dbt_subprocess_env(target_dir, **target_env, **dbt_env(warehouse))
    command = [
        dbt_executable(),
        "build",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target",
        target,
        *(extra_args or []),
    ]
    log.info("running: %s", " ".join(command))
    started = time.monotonic()
    returncode, progress = _stream(command, env)
    counts, failures, elapsed = _summarize(run_results)
    result = DbtResult(returncode, counts, failures or progress.failed, elapsed)
    if returncode != 0:
        raise DbtBuildFailed(_failure_message(returncode, progress, failures, warehouse))
    log.info("dbt build ok in %.1fs: %s", elapsed or time.monotonic() - started, counts)
    return result


def _failure_message(
    returncode: int, progress: _Progress, failures: list[str], warehouse: Warehouse
) -> str:
    """Why this dbt process failed, from its own results and output only."""
    if progress.lock_error:
        explained = explain_lock_error(progress.lock_error, warehouse)
        if explained:
            return explained
    after = (
        "The staging load of this run is committed; fix the cause and clear this task to "
        "rebuild the marts."
    )
    if returncode < 0:
        number = -returncode
        unfinished = progress.unfinished()
        parts = [f"dbt was killed by signal {number} ({_signal_name(number)})"]
        if progress.failed:
            parts.append("failed in this run: " + "; ".join(progress.failed))
        parts.append(
            "in progress when it was killed: " + "; ".join(unfinished)
            if unfinished
            else "no node was in progress"
        )
        return (
            ". ".join(parts) + ". Killed from outside (out of memory? a timeout? an operator?): "
            "check the machine's memory and the task's timeout. " + after
        )
    detail = "; ".join(failures or progress.failed) or " | ".join(list(progress.tail)[-10:])
    return f"dbt build failed (exit {returncode}): {detail}. {after}"

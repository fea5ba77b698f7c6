"""What an operator meets: a failing alert webhook, a killed or blocked dbt, a broken seed regex,
another process holding the warehouse. Each says what happened, in this run, without secrets."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager, nullcontext
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from comment_etl import pipeline
from comment_etl.alerts import send_alert
from comment_etl.transform import dbt_build
from comment_etl.transform.dbt_build import DbtBuildFailed, run_dbt_build
from comment_etl.transform.seed_patterns import SeedPatternError
from comment_etl.warehouse.connect import WarehouseLocked
from comment_etl.warehouse.schema import ensure_schema
from tests.reliability.helpers import DBT_PROJECT, make_settings

TOKEN = "XoXb0SeCrEtT0kEn42"


@pytest.fixture
def failing_webhook(no_proxy):
    """A webhook on 127.0.0.1 that answers 404 (a revoked Slack hook), its token in the path."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/services/T000/B000/{TOKEN}?token={TOKEN}"
    server.shutdown()
    server.server_close()


def test_a_failing_webhook_never_logs_its_token(failing_webhook, caplog):
    caplog.set_level(logging.DEBUG)
    finding = f"task load failed: HTTPError for url {failing_webhook}"  # exception text

    assert send_alert(failing_webhook, "comments_daily", [finding], {"run_id": "r1"}) is False

    assert "could not deliver the alert" in caplog.text
    assert "HTTP 404" in caplog.text
    assert TOKEN not in caplog.text
    assert all(TOKEN not in str(r.args) for r in caplog.records)


def test_an_unreachable_webhook_never_logs_its_token(caplog, no_proxy):
    caplog.set_level(logging.DEBUG)
    with socket_closed_port() as port:
        url = f"http://127.0.0.1:{port}/hooks/{TOKEN}"
        assert send_alert(url, "comments_daily", ["1 file failed"], {}) is False
    assert "could not deliver the alert" in caplog.text
    assert TOKEN not in caplog.text


@contextmanager
def socket_closed_port():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now: connection refused
    yield port


def empty_warehouse(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    ensure_schema(con)
    con.close()
    return path


def test_dbt_killed_mid_build_reports_this_runs_signal_and_nodes(tmp_path, monkeypatch, caplog):
    warehouse = empty_warehouse(tmp_path / "comments.duckdb")
    target = tmp_path / "dbt_target"
    stale = target / "target" / "run_results.json"
    stale.parent.mkdir(parents=True)
    stale.write_text(
        json.dumps(
            {
                "elapsed_time": 1.0,
                "results": [
                    {
                        "unique_id": "model.comments.an_old_failure",
                        "status": "error",
                        "message": "x",
                    }
                ],
            }
        )
    )
    started: list[subprocess.Popen] = []

    class Recorded(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    see = dbt_build._Progress.see

    def kill_at_first_start(self, line):
        see(self, line)
        if " START " in line and started[0].poll() is None:
            os.kill(started[0].pid, signal.SIGKILL)  # the OOM killer, mid-build

    monkeypatch.setattr(dbt_build.subprocess, "Popen", Recorded)
    monkeypatch.setattr(dbt_build._Progress, "see", kill_at_first_start)
    caplog.set_level(logging.INFO)

    with pytest.raises(DbtBuildFailed) as failed:
        run_dbt_build(DBT_PROJECT, warehouse, target)

    message = str(failed.value)
    assert message.startswith("dbt was killed by signal 9 (SIGKILL)")
    assert "in progress when it was killed: " in message
    assert "an_old_failure" not in message  # not the stale results of an earlier build
    # Streamed as it ran: the START line that triggered the kill was already in the task log.
    assert any(
        r.getMessage().startswith("dbt | ") and " START " in r.getMessage() for r in caplog.records
    )


def test_a_bad_regex_in_a_seed_names_the_file_line_and_pattern(tmp_path):
    project = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT, project, ignore=shutil.ignore_patterns("target", "logs"))
    seed = project / "seeds" / "theme_keywords.csv"
    lines = seed.read_text(encoding="utf-8").splitlines()
    theme, language, _, weight = lines[4].split(",")
    lines[4] = f"{theme},{language},amaz(ing,{weight}"
    seed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    warehouse = empty_warehouse(tmp_path / "comments.duckdb")

    with pytest.raises(SeedPatternError) as failed:
        run_dbt_build(project, warehouse, tmp_path / "dbt_target")

    message = str(failed.value)
    assert "theme_keywords.csv line 5: pattern 'amaz(ing' is not a valid regex: " in message
    assert "missing )" in message
    assert len(message) < 400  # the pattern, not a composed multi-KB regex
    assert not (tmp_path / "dbt_target" / "target").exists()  # dbt never started


def hold_warehouse(path: Path, marker: str) -> subprocess.Popen:
    """Another process with the warehouse open read-write; `marker` is in its command line."""
    code = (
        f"# {marker}\n"
        "import duckdb, sys, time\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "print('holding', flush=True)\n"
        "time.sleep(120)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    return holder


def test_a_bi_tool_holding_the_warehouse_gets_a_clear_message(tmp_path, monkeypatch):
    settings = make_settings(tmp_path)
    empty_warehouse(settings.warehouse)
    monkeypatch.setenv("COMMENTS_BI_SNAPSHOT", str(settings.bi_snapshot))
    holder = hold_warehouse(settings.warehouse, "metabase")
    try:
        with pytest.raises(WarehouseLocked) as locked:
            pipeline.load(settings, [], "run1")
    finally:
        holder.kill()
        holder.wait()
    message = str(locked.value)
    assert f"is held by another process: PID {holder.pid} (" in message
    assert f"point it at the read-only snapshot {str(settings.bi_snapshot)!r}" in message


@pytest.mark.parametrize("precheck", [True, False], ids=["before dbt", "inside dbt"])
def test_two_runs_at_once_the_loser_says_another_run_holds_the_warehouse(
    tmp_path, monkeypatch, precheck
):
    warehouse = empty_warehouse(tmp_path / "comments.duckdb")
    if not precheck:  # the other run took the lock after our check: dbt itself hits it
        monkeypatch.setattr(dbt_build, "connect", lambda path: nullcontext())
    holder = hold_warehouse(warehouse, "airflow tasks run comments_daily dbt_build")
    try:
        with pytest.raises((WarehouseLocked, DbtBuildFailed)) as locked:
            run_dbt_build(DBT_PROJECT, warehouse, tmp_path / "dbt_target")
    finally:
        holder.kill()
        holder.wait()
    message = str(locked.value)
    assert message.startswith(
        f"another run holds the warehouse {str(warehouse)!r}: PID {holder.pid}"
    )
    assert "Traceback" not in message

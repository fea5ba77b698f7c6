"""Test-wide setup: an isolated Airflow home, set before anything imports Airflow.

Airflow reads AIRFLOW_HOME and its config when first imported, so these variables are set at
conftest import time (pytest imports conftest before any test module). Each DAG test then gets
its own landing folder, warehouse and snapshot through `pipeline_env`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SEED_PAGE = FIXTURES / "perseverance_landing_page.txt"

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="comments-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(REPO / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME}/airflow.db"
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "INFO"
# A failing task in a test must fail now, not after minutes of retry delays.
os.environ["COMMENTS_TASK_RETRIES"] = "0"
os.environ.setdefault("COMMENTS_IGNORE_AIRFLOW_VARIABLES", "")


def load_script(name: str, path: Path) -> ModuleType:
    """Import a script that is not in a package (a benchmark under bench/) as module `name`.

    It is registered in sys.modules before it runs: dataclasses look their module up there."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A fresh SQLite metadata database for the whole session."""
    from airflow.utils import db

    db.resetdb()
    return _AIRFLOW_HOME


@pytest.fixture
def pipeline_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point every COMMENTS_* path at a temp folder; returns the paths."""
    paths = {
        "landing": tmp_path / "landing",
        "warehouse": tmp_path / "warehouse" / "comments.duckdb",
        "snapshot": tmp_path / "warehouse" / "comments_bi.duckdb",
        "work": tmp_path / "work",
        "dbt_target": tmp_path / "dbt_target",
    }
    paths["landing"].mkdir()
    monkeypatch.setenv("COMMENTS_LANDING_DIR", str(paths["landing"]))
    monkeypatch.setenv("COMMENTS_WAREHOUSE", str(paths["warehouse"]))
    monkeypatch.setenv("COMMENTS_BI_SNAPSHOT", str(paths["snapshot"]))
    monkeypatch.setenv("COMMENTS_WORK_DIR", str(paths["work"]))
    monkeypatch.setenv("COMMENTS_DBT_TARGET_DIR", str(paths["dbt_target"]))
    return paths


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests must go straight to the test's own 127.0.0.1 server, never via a proxy."""
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def webhook(no_proxy):
    """A webhook server on 127.0.0.1: yields (base URL, list of received JSON bodies).

    POSTs to ``/broken`` get HTTP 500.
    """
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            status = 500 if self.path == "/broken" else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def lake_server():
    """One real Postgres (Debian's, 127.0.0.1, a free port) for every DuckLake catalog."""
    import secrets

    from tests import services

    why = services.missing()
    if why:
        pytest.skip(f"lake mode needs a Postgres catalog: {why}")
    # Postgres runs as the `postgres` user, which cannot enter pytest's private tmp folders.
    server_dir = Path(tempfile.mkdtemp(prefix="comments-lake-catalog-"))
    os.chmod(server_dir, 0o755)
    try:
        with services.postgres(server_dir / "pg", password=secrets.token_urlsafe(12)) as server:
            yield server
    finally:
        shutil.rmtree(server_dir, ignore_errors=True)


@pytest.fixture
def lake_env(
    pipeline_env: dict[str, Path], lake_server, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Path | str]:
    """`pipeline_env` in lake mode: a fresh catalog database on `lake_server`, Parquet files in
    the test's temp folder, the password only in PGPASSWORD (as a deployment would)."""
    import uuid

    import psycopg

    database = f"lake_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(lake_server.url(driver="postgresql"), autocommit=True) as con:
        con.execute(f'create database "{database}"')
    catalog = (
        f"ducklake:postgres:dbname={database} host=127.0.0.1 port={lake_server.port} "
        f"user={lake_server.user}"
    )
    data_path = pipeline_env["warehouse"].parent / "lake"
    monkeypatch.setenv("COMMENTS_WAREHOUSE", catalog)
    monkeypatch.setenv("COMMENTS_LAKE_DATA_PATH", f"{data_path}/")
    monkeypatch.setenv("PGPASSWORD", lake_server.password)
    return {**pipeline_env, "catalog": catalog, "lake_data": data_path, "database": database}

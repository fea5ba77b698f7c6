"""A real Airflow for tests: api-server, scheduler, dag-processor, triggerer (and Celery workers).

Each component is its own `airflow <component>` process, in its own process group (stopped by
group, children included), with a temp AIRFLOW_HOME, the API on 127.0.0.1 and a free port, one
shared JWT secret, and a user whose password the test knows. Tests talk to it only through the
public REST API (`/auth/token`, `/api/v2/...`), as a user's tooling would.

`AirflowCluster.settings()` is the configuration both test modes share; the Celery mode adds
the executor, broker and result backend (see tests/test_airflow_celery.py), the same settings
docker-compose.yml sets for the team deployment.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
AIRFLOW = Path(sys.executable).with_name("airflow")
USER, PASSWORD = "admin", secrets.token_urlsafe(12)
TERMINAL_RUN_STATES = {"success", "failed"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_settings(home: Path, port: int) -> dict[str, str]:
    """Airflow settings of the embedded (LocalExecutor, SQLite) mode, as env vars."""
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__FERNET_KEY": "",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
        # One secret for every component: a scheduler and an api-server with different secrets
        # fail every task with "Invalid auth token".
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "600",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # Log servers on free ports too: nothing of a test binds a fixed port.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


@dataclass
class AirflowCluster:
    """A running Airflow; `start` it, use `api`, always `stop` it (the fixtures do)."""

    home: Path
    env: dict[str, str]
    port: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def create(cls, home: Path, extra_env: dict[str, str]) -> AirflowCluster:
        home.mkdir(parents=True, exist_ok=True)
        port = free_port()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("AIRFLOW") and key.lower() not in ("http_proxy", "https_proxy")
        }
        env.update(base_settings(home, port))
        env.update(extra_env)
        (home / "passwords.json").write_text(json.dumps({USER: PASSWORD}))
        return cls(home=home, env=env, port=port)

    # -- processes ------------------------------------------------------------------------
    def cli(self, *args: str, timeout: float = 300) -> str:
        """Run `airflow <args>` with this cluster's settings; raise with its output on error."""
        done = subprocess.run(
            [str(AIRFLOW), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.home,
        )
        if done.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self, components: Iterable[str] | dict[str, str]) -> None:
        """Start `airflow <component>` each; a dict names them ({"worker1": "celery worker"})."""
        named = components if isinstance(components, dict) else {c: c for c in components}
        for name, component in named.items():
            log = open(self.home / f"{name}.log", "wb")  # noqa: SIM115 - owned by the process
            self.procs[name] = subprocess.Popen(
                [str(AIRFLOW), *component.split()],
                env=self.env,
                cwd=self.home,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as a whole
            )

    def stop(self) -> None:
        for proc in self.procs.values():
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(proc, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(
                    f"airflow {name} exited {proc.returncode}:\n{self.log_tail(name)}"
                )

    def log_tail(self, name: str, lines: int = 60) -> str:
        path = self.home / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def logs(self) -> str:
        """The tail of every component's log (for assertion messages)."""
        return "\n".join(f"--- {name}\n{self.log_tail(name)}" for name in self.procs)

    # -- REST API -------------------------------------------------------------------------
    def wait_until_up(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if httpx.get(f"{self.url}/api/v2/monitor/health", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise TimeoutError(f"api-server not up after {timeout}s\n{self.logs()}")

    def token(self) -> str:
        if self._token is None:
            response = httpx.post(
                f"{self.url}/auth/token",
                json={"username": USER, "password": PASSWORD},
                timeout=30,
            )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token()}"}
        return httpx.request(
            method, f"{self.url}/api/v2{path}", headers=headers, timeout=60, **kwargs
        )

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.api(method, path, **kwargs)
        assert response.status_code < 300, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if self.api("GET", f"/dags/{dag_id}").status_code == 200:
                return
            time.sleep(2)
        raise TimeoutError(f"DAG {dag_id} not parsed after {timeout}s\n{self.logs()}")

    def trigger(self, dag_id: str, logical_date: str | None, conf: dict | None = None) -> str:
        body = {"logical_date": logical_date, "conf": conf or {}}
        return self.ok("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 600) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            state = self.ok("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in TERMINAL_RUN_STATES:
                return state
            time.sleep(2)
        raise TimeoutError(f"run {run_id} not finished after {timeout}s\n{self.logs()}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
        return self.ok("GET", path, params={"limit": 100})["task_instances"]

    def task_log(
        self, dag_id: str, run_id: str, task_id: str, try_number: int = 1, map_index: int = -1
    ) -> str:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}"
        params = {"full_content": "true", "map_index": str(map_index)}
        response = self.api("GET", path, params=params)
        return response.text


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)

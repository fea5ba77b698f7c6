"""Real Postgres and Redis servers for tests, from Debian's packages, on 127.0.0.1 free ports.

Each server runs from a temp data folder, in its own process group, and is stopped (and its
folder removed with the test's tmp path) when the test module ends. `.ci/run` installs the
packages (`postgresql`, `redis-server`) when they are missing; elsewhere `missing()` says what
to install and the tests that need them are skipped with that reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.airflow_cluster import free_port


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def missing() -> str | None:
    """Why the servers cannot start here (None when they can)."""
    absent = [
        package
        for package, binary in (("postgresql", _pg_bin("initdb")), ("redis-server", "redis-server"))
        if not (binary and (os.path.isabs(binary) or shutil.which(binary)))
    ]
    if absent:
        return f"needs Debian packages {', '.join(absent)} (apt-get install; .ci/run does it)"
    return None


@dataclass(frozen=True)
class Postgres:
    port: int
    user: str
    password: str
    database: str

    def url(self, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"


def _as_postgres_user() -> list[str]:
    """initdb and postgres refuse to run as root: drop to the `postgres` user there."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@contextmanager
def postgres(folder: Path, password: str) -> Iterator[Postgres]:
    data = folder / "pgdata"
    folder.mkdir(parents=True, exist_ok=True)
    pwfile = folder / "pwfile"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(pwfile, "postgres")
    port = free_port()
    run_as = _as_postgres_user()
    subprocess.run(
        [
            *run_as,
            str(_pg_bin("initdb")),
            "-D",
            str(data),
            "-U",
            "airflow",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            f"--pwfile={pwfile}",
        ],
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [
            *run_as,
            str(_pg_bin("postgres")),
            "-D",
            str(data),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"port={port}",
            "-c",
            f"unix_socket_directories={folder}",
            "-c",
            "max_connections=200",
            "-c",
            "fsync=off",
        ],
        stdout=open(folder / "postgres.log", "wb"),  # noqa: SIM115 - owned by the process
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(
            lambda: (
                subprocess.run(
                    [*run_as, str(_pg_bin("pg_isready")), "-h", "127.0.0.1", "-p", str(port)],
                    capture_output=True,
                ).returncode
                == 0
            ),
            what="postgres",
            log=folder / "postgres.log",
        )
        subprocess.run(
            [
                *run_as,
                str(_pg_bin("createdb")),
                "-h",
                str(folder),
                "-p",
                str(port),
                "-U",
                "airflow",
                "airflow",
            ],
            check=True,
            capture_output=True,
        )
        yield Postgres(port=port, user="airflow", password=password, database="airflow")
    finally:
        _stop(server)


@contextmanager
def redis(folder: Path) -> Iterator[str]:
    """A Redis server; yields its URL (database 0)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=open(folder / "redis.log", "wb"),  # noqa: SIM115 - owned by the process
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(
            lambda: (
                subprocess.run(
                    ["redis-cli", "-h", "127.0.0.1", "-p", str(port), "ping"],
                    capture_output=True,
                    text=True,
                ).stdout.strip()
                == "PONG"
            ),
            what="redis",
            log=folder / "redis.log",
        )
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(server)


def _wait_for(ready, what: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.5)
    raise TimeoutError(f"{what} did not start in {timeout}s:\n{log.read_text(errors='replace')}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue

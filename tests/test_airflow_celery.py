"""The team deployment without Docker: CeleryExecutor, Postgres metadata, a Redis broker.

The same settings docker-compose.yml gives its services (`deploy/airflow-celery.env` is the
one source both read), here with Debian's postgresql and redis-server started by the test on
127.0.0.1, two Celery workers, and the REST API: a 3-day backfill with one run at a time and a
triggered run both succeed, tasks run on both workers, and no two `duckdb_writer` tasks ever
overlap.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests import services
from tests.airflow_cluster import AirflowCluster
from tests.conftest import FIXTURES, SEED_PAGE
from tests.test_airflow_server import COMPONENTS, DAG_ID, comments_env, prepare, states_of

pytestmark = [
    pytest.mark.airflow_server,
    pytest.mark.celery,
    pytest.mark.skipif(services.missing() is not None, reason=str(services.missing())),
]

YTCD_DUMP = FIXTURES / "daily" / "Xk3vTq9LmPw.jsonl"
DEPLOY_ENV = Path(__file__).resolve().parents[1] / "deploy" / "airflow-celery.env"
WORKERS = {
    "worker1": "celery worker --skip-serve-logs",
    "worker2": "celery worker --skip-serve-logs",
}


def deploy_env() -> dict[str, str]:
    """The Airflow settings docker-compose.yml also reads (deploy/airflow-celery.env)."""
    pairs = (
        line.split("=", 1)
        for line in DEPLOY_ENV.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    return {key.strip(): value.strip() for key, value in pairs}


@contextmanager
def celery_deployment(
    root: Path, more_env: Callable[[services.Postgres], dict[str, str]] | None = None
) -> Iterator[tuple[AirflowCluster, services.Postgres]]:
    """The team deployment on 127.0.0.1, rooted at `root`: Postgres metadata, a Redis broker,
    every component and two Celery workers. `more_env(pg)` adds settings that need the
    Postgres (a lake catalog on it); it runs before Airflow starts."""
    (root / "landing").mkdir()
    # Postgres runs as the `postgres` user, which cannot enter pytest's private tmp folders.
    server_dir = Path(tempfile.mkdtemp(prefix="comments-services-"))
    os.chmod(server_dir, 0o755)
    try:
        with (
            services.postgres(server_dir / "pg", password=secrets.token_urlsafe(12)) as pg,
            services.redis(server_dir / "redis") as broker,
        ):
            env = (
                deploy_env()
                | comments_env(root)
                | {
                    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg.url("postgresql+psycopg"),
                    "AIRFLOW__CELERY__BROKER_URL": broker,
                    "AIRFLOW__CELERY__RESULT_BACKEND": pg.url("db+postgresql+psycopg"),
                }
                | (more_env(pg) if more_env else {})
            )
            assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
            cluster = AirflowCluster.create(root / "home", env)
            cluster.cli("db", "migrate")
            cluster.start(COMPONENTS)
            cluster.start(WORKERS)
            try:
                cluster.wait_until_up()
                yield cluster, pg
            finally:
                cluster.stop()
    finally:
        shutil.rmtree(server_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def celery_cluster(tmp_path_factory: pytest.TempPathFactory):
    with celery_deployment(tmp_path_factory.mktemp("airflow-celery")) as (cluster, _):
        yield cluster


def test_backfill_and_triggered_run_on_two_celery_workers(celery_cluster: AirflowCluster, webhook):
    cluster = celery_cluster
    url, received = webhook
    root = cluster.home.parent
    first = unpause_and_run_the_first_day(cluster, url)

    # -- three past days, one dump each, backfilled one run at a time ------------------------
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=n) for n in (6, 5, 4)]
    lines = YTCD_DUMP.read_text().splitlines()
    for day, chunk in zip(days, (lines[:2], lines[2:4], lines[4:]), strict=True):
        (root / "landing" / day.isoformat()).mkdir()
        (root / "landing" / day.isoformat() / "Xk3vTq9LmPw.jsonl").write_text(
            "\n".join(chunk) + "\n"
        )
    backfill = cluster.ok(
        "POST",
        "/backfills",
        json={
            "dag_id": DAG_ID,
            "from_date": f"{days[0].isoformat()}T00:00:00Z",
            "to_date": f"{days[-1].isoformat()}T00:00:00Z",
            "max_active_runs": 1,
            "reprocess_behavior": "none",
        },
    )
    assert backfill["max_active_runs"] == 1
    runs = [r for r in wait_for_runs(cluster, 4) if r["run_type"] == "backfill"]
    assert len(runs) == 3
    for run in runs:
        assert cluster.wait_for_run(DAG_ID, run["dag_run_id"], timeout=900) == "success"

    warehouse = root / "warehouse" / "comments.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        per_load = con.execute(
            "select count(*), list(source_file order by source_file) from staging.load_ledger "
            "group by load_id order by min(loaded_at)"
        ).fetchall()
    assert per_load == [(1, [f"{day.isoformat()}/Xk3vTq9LmPw.jsonl"]) for day in days]

    # -- a triggered run (no logical date) picks up an undated file -------------------------
    shutil.copy(SEED_PAGE, root / "landing")
    run_id = cluster.trigger(DAG_ID, None)
    assert cluster.wait_for_run(DAG_ID, run_id, timeout=900) == "success", cluster.logs()
    assert states_of(cluster, run_id)["publish"] == "success"
    with duckdb.connect(str(root / "warehouse" / "comments_bi.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_comments").fetchone() == (12 + 5,)

    # -- the tasks ran on both workers, and the one-writer pool held ------------------------
    per_worker = {
        name: len(re.findall(r"Executing workload in Celery", cluster.log_tail(name, 100000)))
        for name in WORKERS
    }
    assert all(count > 0 for count in per_worker.values()), per_worker
    writer_spans = []
    for run in cluster.ok("GET", f"/dags/{DAG_ID}/dagRuns", params={"limit": 50})["dag_runs"]:
        for ti in cluster.task_instances(DAG_ID, run["dag_run_id"]):
            if ti["pool"] == "duckdb_writer" and ti["start_date"] and ti["end_date"]:
                writer_spans.append((ti["start_date"], ti["end_date"], ti["task_id"]))
    writer_spans.sort()
    assert len(writer_spans) >= 5 * 3
    for (_, end, task), (start, _, other) in itertools.pairwise(writer_spans):
        assert end <= start, f"{task} (until {end}) overlapped {other} (from {start})"
    # Nothing failed, nothing was rejected; only the first, empty run said its marts are empty.
    assert [a["findings"] for a in received if a["run_id"] != first["dag_run_id"]] == []
    assert [a["findings"] for a in received] == [["marts.fct_comments is empty after this run"]]


def unpause_and_run_the_first_day(cluster: AirflowCluster, webhook_url: str) -> dict:
    """Pool, alert Connection, unpause; the run unpausing schedules (the last complete day,
    with nothing in landing) succeeds. Returns that run."""
    prepare(cluster, webhook_url)
    cluster.ok("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})
    first = wait_for_runs(cluster, 1)[0]
    assert cluster.wait_for_run(DAG_ID, first["dag_run_id"]) == "success", cluster.logs()
    return first


def wait_for_runs(cluster: AirflowCluster, count: int, timeout: float = 180) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = cluster.ok(
            "GET", f"/dags/{DAG_ID}/dagRuns", params={"order_by": "run_after", "limit": 50}
        )["dag_runs"]
        if len(runs) >= count:
            return runs
        time.sleep(2)
    raise TimeoutError(f"fewer than {count} runs after {timeout}s\n{cluster.logs()}")

"""comments_daily under a real Airflow: api-server, scheduler, dag-processor, triggerer.

Everything goes through the REST API as an operator's tooling would: a token from
`/auth/token`, the pool, the alert Connection and the `comments_config` Variable created through
the API, the DAG unpaused and triggered, the run polled to its end. This is the path
`airflow dags test` hides: the plugin loader, the task-execution API, pools, separate task
processes, notifier callbacks in the worker and the dag-processor.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest

from tests.airflow_cluster import AirflowCluster
from tests.conftest import SEED_PAGE

pytestmark = pytest.mark.airflow_server

DAG_ID = "comments_daily"
YTCD_DUMP = Path(__file__).parent / "fixtures" / "daily" / "Xk3vTq9LmPw.jsonl"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def comments_env(root: Path) -> dict[str, str]:
    """The pipeline's own settings for a test deployment rooted at `root`."""
    return {
        "COMMENTS_LANDING_DIR": str(root / "landing"),
        "COMMENTS_WAREHOUSE": str(root / "warehouse" / "comments.duckdb"),
        "COMMENTS_BI_SNAPSHOT": str(root / "warehouse" / "comments_bi.duckdb"),
        "COMMENTS_WORK_DIR": str(root / "work"),
        "COMMENTS_DBT_TARGET_DIR": str(root / "dbt_target"),
        "COMMENTS_TASK_RETRIES": "1",  # fast retries in tests; the deployment's are 2 and 120 s
        "COMMENTS_RETRY_DELAY_S": "1",
        "COMMENTS_IGNORE_AIRFLOW_VARIABLES": "",
    }


def prepare(cluster: AirflowCluster, webhook_url: str) -> None:
    """What an operator does once: pool, alert connection, unpause."""
    cluster.ok(
        "POST",
        "/pools",
        json={"name": "duckdb_writer", "slots": 1, "description": "DuckDB: one writer per file"},
    )
    cluster.ok(
        "POST",
        "/connections",
        json={
            "connection_id": "comments_alert_webhook",
            "conn_type": "http",
            "host": f"{webhook_url}/hook?token=hook-secret-123",
        },
    )
    cluster.wait_for_dag(DAG_ID)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("airflow-local")
    (root / "landing").mkdir()
    cluster = AirflowCluster.create(root / "home", comments_env(root))
    cluster.cli("db", "migrate")
    cluster.start(COMPONENTS)
    try:
        cluster.wait_until_up()
        yield cluster
    finally:
        cluster.stop()


def states_of(cluster: AirflowCluster, run_id: str) -> dict[str, str]:
    out = {}
    for ti in cluster.task_instances(DAG_ID, run_id):
        key = ti["task_id"] if ti["map_index"] < 0 else f"{ti['task_id']}[{ti['map_index']}]"
        out[key] = ti["state"]
    return out


def wait_for_first_run(cluster: AirflowCluster, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = cluster.ok("GET", f"/dags/{DAG_ID}/dagRuns")["dag_runs"]
        if runs:
            return runs[0]
        time.sleep(2)
    raise TimeoutError(f"no scheduled run after unpausing\n{cluster.logs()}")


def wait_for_alerts(received: list[dict], count: int, timeout: float = 120) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(received) < count:
        time.sleep(1)
    return received


def test_a_triggered_run_succeeds_then_a_broken_one_is_red_retried_and_alerted(
    cluster: AirflowCluster, webhook
):
    url, received = webhook
    root = cluster.home.parent
    prepare(cluster, url)

    # -- the scheduled run: unpausing creates the run of the last complete day, which takes
    # the seed page from the dated folder of an earlier day ----------------------------------
    day = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    (root / "landing" / day).mkdir()
    shutil.copy(SEED_PAGE, root / "landing" / day)
    cluster.ok("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})
    run = wait_for_first_run(cluster)
    assert run["run_type"] == "scheduled"
    run_id = run["dag_run_id"]
    assert cluster.wait_for_run(DAG_ID, run_id) == "success", cluster.logs()
    states = states_of(cluster, run_id)
    assert states == {
        "prepare": "success",
        "fetch_sources": "success",
        "discover": "success",
        "parse[0]": "success",
        "load_staging": "success",
        "marts_stale": "success",
        "dbt_build": "success",
        "publish": "success",
        "report": "success",
    }, states
    # The mapped task is shown by its file name in the UI.
    parse_ti = next(ti for ti in cluster.task_instances(DAG_ID, run_id) if ti["task_id"] == "parse")
    assert parse_ti["rendered_map_index"] == f"{day}/perseverance_landing_page.txt"

    events = cluster.ok("GET", "/assets/events", params={"limit": 10})["asset_events"]
    assert len(events) == 1
    assert events[0]["extra"]["rows"]["fct_comments"] == 12
    with duckdb.connect(str(root / "warehouse" / "comments_bi.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_comments").fetchone() == (12,)
        languages = con.execute(
            "select language, comments from marts.fct_language_mix order by language"
        ).fetchall()
    assert languages == [("de", 1), ("en", 11)]
    assert received == []  # a green run with nothing to report posts nothing

    # -- the same day again (cleared, as an operator reruns a day): nothing new, so dbt and
    # publish are skipped and no asset event is emitted -------------------------------------
    cluster.ok(
        "POST",
        f"/dags/{DAG_ID}/clearTaskInstances",
        json={"dag_run_id": run_id, "dry_run": False, "only_failed": False},
    )
    assert cluster.wait_for_run(DAG_ID, run_id) == "success", cluster.logs()
    states = states_of(cluster, run_id)
    assert states["dbt_build"] == states["publish"] == "skipped", states
    assert states["report"] == "success"
    assert len(cluster.ok("GET", "/assets/events", params={"limit": 10})["asset_events"]) == 1

    # -- a broken deployment: dbt project missing (set through the one config Variable) -----
    missing = root / "no-dbt-project-here"
    cluster.ok(
        "POST",
        "/variables",
        json={"key": "comments_config", "value": f'{{"COMMENTS_DBT_PROJECT_DIR": "{missing}"}}'},
    )
    shutil.copy(YTCD_DUMP, root / "landing")  # undated: taken by any run
    run_id = cluster.trigger(DAG_ID, None)  # a manual run without a logical date
    assert cluster.wait_for_run(DAG_ID, run_id) == "failed", cluster.logs()
    tis = {ti["task_id"]: ti for ti in cluster.task_instances(DAG_ID, run_id)}
    assert tis["dbt_build"]["state"] == "failed"
    assert tis["dbt_build"]["try_number"] == 2  # retried once (COMMENTS_TASK_RETRIES=1)
    assert tis["publish"]["state"] == "upstream_failed"
    assert tis["report"]["state"] == "success"  # the teardown ran and did not hide the failure
    assert tis["load_staging"]["state"] == "success"

    wait_for_alerts(received, 3)
    texts = [alert["text"] for alert in received]
    task_alerts = [a for a in received if a.get("task_id") == "dbt_build" and a.get("error")]
    assert task_alerts, texts
    assert task_alerts[0]["run_id"] == run_id
    assert str(missing) in task_alerts[0]["error"], task_alerts[0]
    assert any("tasks failed in this run: dbt_build, publish" in t for t in texts), texts
    dag_alerts = [a for a in received if a.get("reason")]
    assert dag_alerts and dag_alerts[0]["run_id"] == run_id, texts
    # The webhook's token never reaches a task log.
    log = cluster.task_log(DAG_ID, run_id, "report")
    assert "comments_daily findings" in log or "tasks failed" in log, log[-2000:]
    assert "hook-secret-123" not in log
    assert "hook-secret-123" not in cluster.task_log(DAG_ID, run_id, "dbt_build", 2)


def test_report_dag_follows_the_publish_and_the_ui_plugin_serves_it_to_logged_in_users_only(
    cluster: AirflowCluster,
):
    """comments_report runs on the asset event of a publish; /comments-report needs a login."""
    report_dag = "comments_report"
    # A working configuration again (an earlier test may have broken it on purpose).
    cluster.api("DELETE", "/variables/comments_config")
    cluster.wait_for_dag(report_dag)
    # Asset-triggered runs are only queued for unpaused DAGs: unpause, then publish.
    cluster.ok("PATCH", f"/dags/{report_dag}", json={"is_paused": False})
    cluster.ok("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})
    before = {r["dag_run_id"] for r in cluster.ok("GET", f"/dags/{report_dag}/dagRuns")["dag_runs"]}
    daily_run = cluster.trigger(DAG_ID, None)
    assert cluster.wait_for_run(DAG_ID, daily_run) == "success", cluster.logs()
    assert states_of(cluster, daily_run)["publish"] == "success"

    deadline = time.monotonic() + 180
    runs: list[dict] = []
    while time.monotonic() < deadline and not runs:
        runs = [
            r
            for r in cluster.ok("GET", f"/dags/{report_dag}/dagRuns")["dag_runs"]
            if r["dag_run_id"] not in before
        ]
        time.sleep(2)
    assert runs, f"no comments_report run after the publish\n{cluster.logs()}"
    assert runs[0]["run_type"] == "asset_triggered"
    run_id = runs[0]["dag_run_id"]
    assert cluster.wait_for_run(report_dag, run_id) == "success", cluster.logs()
    events = cluster.ok("GET", "/assets/events", params={"limit": 50})["asset_events"]
    paths = [e["extra"].get("path") for e in events if e["extra"] and "path" in e["extra"]]
    assert paths and Path(paths[-1]).is_file(), events

    # The plugin is loaded by the api-server with its menu entries.
    plugins = cluster.ok("GET", "/plugins")["plugins"]
    plugin = next(p for p in plugins if p["name"] == "comments_report")
    assert {v["href"] for v in plugin["external_views"]} >= {"comments-report/latest"}

    base = f"{cluster.url}/comments-report"
    bearer = {"Authorization": f"Bearer {cluster.token()}"}
    latest = httpx.get(f"{base}/latest", headers=bearer, timeout=60)
    assert latest.status_code == 200, latest.text[:500]
    assert "Comments warehouse report" in latest.text and f"run {run_id}" in latest.text
    assert latest.content == Path(paths[-1]).read_bytes()
    # The UI's session cookie works as well as a bearer token.
    cookie = httpx.get(f"{base}/latest", cookies={"_token": cluster.token()}, timeout=60)
    assert cookie.status_code == 200
    listing = httpx.get(f"{base}/", headers=bearer, timeout=60)
    assert listing.status_code == 200 and Path(paths[-1]).name in listing.text

    # Anonymous and forged requests are refused; nothing outside the reports is served.
    anonymous = httpx.get(f"{base}/latest", timeout=60)
    assert anonymous.status_code == 401, anonymous.status_code
    assert "Comments warehouse report" not in anonymous.text
    assert httpx.get(f"{base}/", timeout=60).status_code == 401
    forged = httpx.get(f"{base}/latest", headers={"Authorization": "Bearer x.y.z"}, timeout=60)
    assert forged.status_code in (401, 403)
    escape = httpx.get(f"{base}/runs/..%2F..%2Fcomments_bi.duckdb", headers=bearer, timeout=60)
    assert escape.status_code == 404

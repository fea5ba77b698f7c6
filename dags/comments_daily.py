"""comments_daily: landing folder -> staging (DuckDB) -> dbt marts -> BI snapshot.

The file only wires tasks; the logic lives in the installed `comment_etl` package (src/).
Nothing here touches the warehouse, the metadata database or the network at parse time.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Asset, CronDataIntervalTimetable, dag, get_current_context, task

from comment_etl.alerts import WebhookNotifier
from comment_etl.config import DEFAULT_ALERT_CONN_ID, WRITER_POOL, load_settings

WAREHOUSE_ASSET = Asset(name="comments_warehouse", uri="file:///comments_warehouse/marts")

DOC = """
### Comment dumps → DuckDB warehouse (daily)

The run for day **D** (its logical date; it starts once D is over) loads the dumps of
`landing/D/` and of earlier dated folders not loaded yet, plus every new undated file in the
landing folder. Files are identified by sha256: nothing ever loads twice.

0. **prepare** (setup) — create the folders; log the run's day and where it reads and writes.
1. **fetch_sources** — when configured, the scrapers write raw dumps into the landing folder:
   YouTube Data API (`COMMENTS_YOUTUBE_VIDEO_IDS`, key in the Connection `youtube_api`) and HTTP(S)
   dump URLs (`COMMENTS_DUMP_URLS`). Per-video problems are reported, not fatal.
2. **discover** — the new files of the run's day (sha256 against `staging.load_ledger`).
3. **parse** (one mapped task per file, named after the file) — detect the format, stream,
   normalize, detect language, write Parquet. Bad records go to the rejects with file, record
   number and reason; an unreadable file becomes a `failed` manifest.
4. **load_staging** — ONE transaction for the whole run into `staging.*`.
5. **marts_stale** — short-circuit: when the published snapshot already holds every load, dbt
   and publish are skipped and no asset event is emitted.
6. **dbt_build** — one `dbt build` process (models + tests) builds the `marts` schema.
7. **publish** — atomic BI snapshot (`COMMENTS_BI_SNAPSHOT`); emits the `comments_warehouse`
   asset event with rows per mart.
8. **report** (teardown: always runs, never decides the run's colour) — failed files, rejects,
   failed tasks; posted to the webhook of the Connection `comments_alert_webhook`.

**Lake mode** (`COMMENTS_WAREHOUSE=ducklake:...`, README "Scaling out"): each parse task also
stages its own file (one transaction with its ledger row, in parallel), load_staging only counts
them, and publish records the lake's snapshot id instead of copying a file.

Every task that opens the warehouse runs in the one-slot pool `duckdb_writer`. Failures alert
through the same webhook (task level: DAG, run, task, file, error; DAG level: the run).
**When a run fails:** the red task's log names the file and record; fix the input (or the
model) and clear the task. Rerunning a day loads nothing twice.
"""

ALERTS = WebhookNotifier(conn_id=os.environ.get("COMMENTS_ALERT_CONN_ID", DEFAULT_ALERT_CONN_ID))

default_args = {
    "owner": "data-platform",
    # Env vars, not Airflow Variables: read at parse time, so no metadata DB access here.
    "retries": int(os.environ.get("COMMENTS_TASK_RETRIES", "2")),
    "retry_delay": timedelta(seconds=int(os.environ.get("COMMENTS_RETRY_DELAY_S", "120"))),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(minutes=30),
    "on_failure_callback": [ALERTS],
}


def _settings():
    return load_settings(use_variables=True)


def _run_day(context: dict[str, Any]):
    """The day whose dated landing folder this run takes (None: a run without a logical date)."""
    logical_date = context.get("logical_date")
    return logical_date.date() if logical_date else None


@dag(
    dag_id="comments_daily",
    # Data-interval semantics: the run for day D starts when D is over, so D's folder is complete.
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=8),
    default_args=default_args,
    tags=["comments", "duckdb", "dbt"],
    doc_md=DOC,
    on_failure_callback=[ALERTS],
)
def comments_daily() -> None:
    @task(execution_timeout=timedelta(minutes=5))
    def prepare() -> str | None:
        import logging

        settings = _settings()
        settings.ensure_dirs()
        day = _run_day(get_current_context())
        logging.getLogger(__name__).info(
            "run day %s; landing %r, warehouse %r, snapshot %r",
            day or "any (no logical date)",
            str(settings.landing_dir),
            str(settings.warehouse),
            str(settings.bi_snapshot),
        )
        return day.isoformat() if day else None

    @task(execution_timeout=timedelta(hours=2))
    def fetch_sources() -> dict[str, Any]:
        from comment_etl import pipeline

        return pipeline.fetch_sources(_settings())

    # all_done: a scraper failure must not keep the files already in landing from loading.
    @task(pool=WRITER_POOL, trigger_rule="all_done")
    def discover() -> list[dict[str, Any]]:
        from comment_etl import pipeline

        return pipeline.discover(_settings(), _run_day(get_current_context()))

    @task(map_index_template="{{ source_file }}", execution_timeout=timedelta(hours=2))
    def parse(candidate: dict[str, Any]) -> dict[str, Any]:
        from comment_etl import pipeline

        context = get_current_context()
        context["source_file"] = candidate["source_file"]  # type: ignore[typeddict-unknown-key]
        return pipeline.parse(_settings(), candidate, context["run_id"])

    @task(pool=WRITER_POOL, trigger_rule="none_failed", execution_timeout=timedelta(hours=1))
    def load_staging(manifests: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        from comment_etl import pipeline

        context = get_current_context()
        return pipeline.load(_settings(), list(manifests or []), context["run_id"])

    # Only dbt_build is skipped directly; publish follows it (its upstream is skipped).
    @task.short_circuit(pool=WRITER_POOL, ignore_downstream_trigger_rules=False)
    def marts_stale(summary: dict[str, Any] | None) -> bool:
        from comment_etl import pipeline

        return pipeline.marts_are_stale(_settings(), summary)

    @task(pool=WRITER_POOL, execution_timeout=timedelta(hours=2))
    def dbt_build() -> dict[str, Any]:
        from comment_etl import pipeline

        return pipeline.build_marts(_settings())

    @task(pool=WRITER_POOL, outlets=[WAREHOUSE_ASSET])
    def publish(*, outlet_events=None) -> dict[str, int]:
        from comment_etl import pipeline

        counts = pipeline.publish(_settings())
        if outlet_events is not None:
            outlet_events[WAREHOUSE_ASSET].extra = {"rows": counts}
        return counts

    @task(retries=0, execution_timeout=timedelta(minutes=10))
    def report(
        sources: dict[str, Any] | None,
        summary: dict[str, Any] | None,
        marts: dict[str, int] | None,
    ) -> list[str]:
        from comment_etl import pipeline
        from comment_etl.alerts import send_alert, webhook_url

        context = get_current_context()
        ti = context["ti"]
        states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id]).get(ti.run_id, {})
        settings = _settings()
        findings = pipeline.alert_lines(summary, marts, sources, task_states=states)
        send_alert(
            webhook_url(settings.alert_conn_id),
            "comments_daily findings",
            findings,
            {"dag_id": ti.dag_id, "run_id": ti.run_id},
        )
        return findings

    started = prepare()
    fetched = fetch_sources()
    candidates = discover()
    started >> fetched >> candidates
    manifests = parse.expand(candidate=candidates)
    summary = load_staging(manifests)
    stale = marts_stale(summary)
    built = dbt_build()
    marts = publish()
    stale >> built >> marts
    reported = report(fetched, summary, marts)
    # A teardown runs whatever happened above and does not decide the run's state: a failed
    # load makes the run red through its own leaves, a green run has no skipped watcher.
    reported.as_teardown(setups=started)


dag = comments_daily()

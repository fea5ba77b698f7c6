"""comments_daily: landing folder -> staging (DuckDB) -> dbt marts -> BI snapshot.

The file only wires tasks; the logic lives in the installed `comment_etl` package (src/).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Asset, dag, get_current_context, task

from comment_etl.config import WRITER_POOL, load_settings

WAREHOUSE_ASSET = Asset(name="comments_warehouse", uri="file:///comments_warehouse/marts")

DOC = """
### Comment dumps → DuckDB warehouse (daily)

0. **fetch_sources** — when configured, the scrapers write raw dumps into the landing folder:
   the YouTube Data API for `COMMENTS_YOUTUBE_VIDEO_IDS` (API key from the Airflow Connection
   `youtube_api`) and HTTP(S) dump URLs from `COMMENTS_DUMP_URLS`. Per-video problems
   (comments disabled, not found, quota exhausted) are reported, not fatal.
1. **discover** — hash every file in the landing folder (`COMMENTS_LANDING_DIR`); files whose
   sha256 is already in `staging.load_ledger` are skipped (a file loads once; a fixed re-export
   with new bytes loads again).
2. **parse** (one mapped task per file, parallel) — detect the format from the content, stream
   it, normalize text, detect language, write Parquet. Bad records go to the rejects file with
   file, record number and reason; an unreadable file becomes a `failed` manifest.
3. **load_staging** — ONE transaction for the whole run into `staging.*` (contents, comments,
   rejects, load_ledger). Nothing is ever half-loaded.
4. **dbt_build** — one `dbt build` process (models + tests) builds the `marts` schema.
5. **publish** — checkpoint, copy, atomic rename to the BI snapshot (`COMMENTS_BI_SNAPSHOT`);
   emits the `comments_warehouse` asset event with rows per mart.
6. **report** — always runs; logs failed files and rejects and posts them to
   `COMMENTS_ALERT_WEBHOOK` when set.

Every task that opens the warehouse runs in the one-slot pool `duckdb_writer`: DuckDB allows
one writer per file. **When a run fails:** the failing task's log names the file and record;
fix the input (or the model) and clear the task. Rerunning a day loads nothing twice.
"""

default_args = {
    "owner": "data-platform",
    # Env var (not an Airflow Variable: read at parse time, so no metadata DB access here).
    "retries": int(os.environ.get("COMMENTS_TASK_RETRIES", "2")),
    "retry_delay": timedelta(seconds=int(os.environ.get("COMMENTS_RETRY_DELAY_S", "120"))),
    "retry_exponential_backoff": True,
}


def _settings():
    return load_settings(use_variables=True)


def _on_failure(context: dict[str, Any]) -> None:
    from comment_etl.alerts import send_alert

    ti = context.get("task_instance")
    task_id = getattr(ti, "task_id", "?")
    send_alert(
        _settings().alert_webhook,
        "comments_daily task failed",
        [f"task {task_id} failed: {context.get('exception')}"],
        {"dag_id": "comments_daily", "run_id": str(context.get("run_id"))},
    )


@dag(
    dag_id="comments_daily",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["comments", "duckdb", "dbt"],
    doc_md=DOC,
    on_failure_callback=_on_failure,
)
def comments_daily() -> None:
    @task
    def fetch_sources() -> dict[str, Any]:
        from comment_etl import pipeline

        return pipeline.fetch_sources(_settings())

    # all_done: a scraper failure must not keep the files already in landing from loading.
    @task(pool=WRITER_POOL, trigger_rule="all_done")
    def discover() -> list[dict[str, Any]]:
        from comment_etl import pipeline

        return pipeline.discover(_settings())

    @task
    def parse(candidate: dict[str, Any]) -> dict[str, Any]:
        from comment_etl import pipeline

        context = get_current_context()
        return pipeline.parse(_settings(), candidate, context["run_id"])

    @task(pool=WRITER_POOL, trigger_rule="none_failed")
    def load_staging(manifests: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        from comment_etl import pipeline

        context = get_current_context()
        return pipeline.load(_settings(), list(manifests or []), context["run_id"])

    @task(pool=WRITER_POOL)
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

    @task(trigger_rule="all_done", retries=0)
    def report(
        sources: dict[str, Any] | None,
        summary: dict[str, Any] | None,
        marts: dict[str, int] | None,
    ) -> list[str]:
        from comment_etl import pipeline
        from comment_etl.alerts import send_alert

        findings = pipeline.alert_lines(summary, marts, sources)
        context = get_current_context()
        send_alert(
            _settings().alert_webhook,
            "comments_daily findings",
            findings,
            {"dag_id": "comments_daily", "run_id": context["run_id"]},
        )
        return findings

    @task(trigger_rule="one_failed", retries=0)
    def fail_run_if_any_task_failed() -> None:
        """Leaf watcher: `report` always succeeds, so without this a failed run looks green."""
        raise RuntimeError(
            "a task of this run failed (see the red task's log); the report task has the findings"
        )

    fetched = fetch_sources()
    candidates = discover()
    fetched >> candidates
    manifests = parse.expand(candidate=candidates)
    summary = load_staging(manifests)
    built = dbt_build()
    marts = publish()
    summary >> built >> marts
    reported = report(fetched, summary, marts)
    everything = [fetched, candidates, manifests, summary, built, marts, reported]
    everything >> fail_run_if_any_task_failed()


dag = comments_daily()

"""comments_report: charts of the BI snapshot, each time comments_daily publishes it.

Scheduled on the `comments_warehouse` asset (data-aware): it runs after a publish, never on a
half-built warehouse, and it only reads the published data (no writer pool): the snapshot file,
or in lake mode the lake pinned to its published snapshot (`comment_etl.bi.published_source`).
The logic lives in the installed package: comment_etl.report and comment_etl.transform.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Asset, dag, get_current_context, task

from comment_etl.config import load_settings

WAREHOUSE_ASSET = Asset(name="comments_warehouse", uri="file:///comments_warehouse/marts")
REPORT_ASSET = Asset(name="comments_report", uri="file:///comments_warehouse/reports")

DOC = """
### Run report of the comments warehouse

Runs each time `comments_daily` publishes the BI snapshot (the `comments_warehouse` asset).
Reads the snapshot only (read-only; in lake mode the lake at its published snapshot id), writes
next to it (the folder of `COMMENTS_BI_SNAPSHOT` in both modes):

1. **freshness** — `dbt source freshness` on the snapshot's raw tables (warn after 2 days
   without a load); the result is shown in the report, a stale source does not fail the run.
2. **dbt_docs** — `dbt docs generate --static` on the snapshot: `reports/dbt_docs.html`.
3. **build_report** — one self-contained HTML page (plotly.js inline, works offline):
   `reports/report_<run>.html` and `reports/report_latest.html`. Its path is in the task log,
   the XCom and the `comments_report` asset event.

Open it from the Airflow menu **Comments report** (plugin `comments_report_plugin`), or the file
directly. **When it fails:** the log names the snapshot and the panel's query; the report never
changes the warehouse, so clearing the task is always safe.
"""

default_args = {
    "owner": "data-platform",
    "retries": int(os.environ.get("COMMENTS_TASK_RETRIES", "2")),
    "retry_delay": timedelta(seconds=int(os.environ.get("COMMENTS_RETRY_DELAY_S", "120"))),
    "execution_timeout": timedelta(minutes=15),
}


def _settings():
    return load_settings(use_variables=True)


def _published(settings):
    """The snapshot file, or the lake pinned to its published snapshot (a clear error when
    nothing is published yet)."""
    from comment_etl.bi import published_source

    return published_source(settings.warehouse, settings.bi_snapshot)


@dag(
    dag_id="comments_report",
    schedule=[WAREHOUSE_ASSET],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    default_args=default_args,
    tags=["comments", "report", "dbt"],
    doc_md=DOC,
)
def comments_report() -> None:
    @task
    def freshness() -> dict[str, Any]:
        from comment_etl.transform.docs_freshness import source_freshness

        settings = _settings()
        return source_freshness(
            settings.dbt_project_dir, _published(settings), settings.dbt_target_dir / "report"
        )

    @task
    def dbt_docs() -> str:
        from comment_etl.report.build import DOCS, reports_dir
        from comment_etl.transform.docs_freshness import generate_docs

        settings = _settings()
        out = reports_dir(settings.bi_snapshot) / DOCS
        return str(
            generate_docs(
                settings.dbt_project_dir,
                _published(settings),
                settings.dbt_target_dir / "docs",
                out,
            )
        )

    # all_done: a report without docs (or without freshness) is still a report.
    @task(outlets=[REPORT_ASSET], trigger_rule="all_done")
    def build_report(fresh: dict[str, Any] | None, *, outlet_events=None) -> str:
        import logging

        from comment_etl.report.build import LATEST, build_report, reports_dir

        settings = _settings()
        run_id = get_current_context()["run_id"]
        path = build_report(
            _published(settings),
            run_id,
            freshness=fresh,
            out_dir=reports_dir(settings.bi_snapshot),
        )
        logging.getLogger(__name__).info(
            "report: %r (latest: %r); open it in a browser or under Browse > Comments report",
            str(path),
            str(path.with_name(LATEST)),
        )
        if outlet_events is not None:
            outlet_events[REPORT_ASSET].extra = {"path": str(path), "run_id": run_id}
        return str(path)

    fresh = freshness()
    docs = dbt_docs()
    report = build_report(fresh)
    docs >> report


dag = comments_report()

"""Airflow UI plugin: the comments warehouse report (latest, past runs) and the dbt docs.

A FastAPI app mounted by the api-server under ``/comments-report`` plus menu entries (external
views) that show it inside the Airflow UI. Airflow does not authenticate a plugin's FastAPI app
(a mounted sub-app inherits none of the core API's dependencies), so every route here depends
on Airflow's own auth: the JWT from the ``Authorization: Bearer`` header or the UI's session
cookie, validated by the configured auth manager, and the user must be allowed to see the
Airflow website. Anonymous requests get 401, an invalid token 403.

The files are the ones the `comments_report` DAG writes next to the BI snapshot
(comment_etl.report.build): the `reports` folder beside ``COMMENTS_BI_SNAPSHOT``, in lake mode
too (a local folder; the report there reads the lake at its published snapshot). Only names
`list_reports` would list are ever served.
"""

from __future__ import annotations

import html

from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
from airflow.api_fastapi.core_api.security import requires_access_view
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

from comment_etl.config import load_settings
from comment_etl.report.build import DOCS, LATEST, is_report_name, list_reports, reports_dir

URL_PREFIX = "/comments-report"

app = FastAPI(
    title="Comments warehouse report",
    dependencies=[Depends(requires_access_view(AccessView.WEBSITE))],
    docs_url=None,
    redoc_url=None,
    openapi_url=None,
)


def _folder():
    # Read per request: the deployment may repoint COMMENTS_BI_SNAPSHOT without a restart.
    return reports_dir(load_settings().bi_snapshot)


def _file(name: str) -> FileResponse:
    path = _folder() / name
    if not path.is_file():
        raise HTTPException(
            status_code=404,
            detail=f"{name} not found: no report yet (the comments_report DAG writes it after "
            "comments_daily publishes)",
        )
    # no-store: "latest" changes with every run.
    return FileResponse(path, media_type="text/html", headers={"Cache-Control": "no-store"})


@app.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The list of past reports, newest first."""
    root = html.escape(request.scope.get("root_path", URL_PREFIX), quote=True)
    reports = list_reports(_folder())
    rows = "".join(
        f'<tr><td><a href="{root}/runs/{html.escape(r.name, quote=True)}">'
        f"{html.escape(r.name)}</a></td><td>{r.modified:%Y-%m-%d %H:%M UTC}</td>"
        f"<td>{r.size_bytes / 1e6:.1f} MB</td></tr>"
        for r in reports
    )
    docs = f' · <a href="{root}/docs">dbt docs</a>' if (_folder() / DOCS).is_file() else ""
    body = (
        "<!doctype html><html><head><meta charset=utf-8><title>Comments reports</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:24px}td,th{padding:4px 12px;"
        "text-align:left}</style></head><body><h1>Comments warehouse reports</h1>"
        f'<p><a href="{root}/latest">latest report</a>{docs}</p>'
        "<table><tr><th>report</th><th>written</th><th>size</th></tr>"
        f"{rows or '<tr><td colspan=3>no report yet</td></tr>'}</table></body></html>"
    )
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


@app.get("/latest")
def latest() -> FileResponse:
    return _file(LATEST)


@app.get("/runs/{name}")
def run_report(name: str) -> FileResponse:
    if not is_report_name(name):
        raise HTTPException(status_code=404, detail="not a report name")
    return _file(name)


@app.get("/docs")
def dbt_docs() -> FileResponse:
    return _file(DOCS)


class CommentsReportPlugin(AirflowPlugin):
    name = "comments_report"
    fastapi_apps = [  # noqa: RUF012 - AirflowPlugin's interface is class attributes
        {"app": app, "url_prefix": URL_PREFIX, "name": "Comments report"}
    ]
    # Menu entries (Browse); url_route shows the page inside the UI (an iframe), href is
    # relative to the UI's base URL.
    external_views = [  # noqa: RUF012
        {
            "name": "Comments report",
            "href": "comments-report/latest",
            "url_route": "comments-report",
            "category": "browse",
            "destination": "nav",
        },
        {
            "name": "Comments reports (all runs)",
            "href": "comments-report/",
            "url_route": "comments-reports",
            "category": "browse",
            "destination": "nav",
        },
        {
            "name": "dbt docs (comments)",
            "href": "comments-report/docs",
            "url_route": "comments-dbt-docs",
            "category": "browse",
            "destination": "nav",
        },
    ]

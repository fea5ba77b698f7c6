"""Alerting: log findings loudly and, when configured, POST them to a webhook.

The webhook URL is a secret (Slack/Teams/Mattermost incoming webhooks carry their token in the
path), so it lives in an Airflow Connection (`comments_alert_webhook` by default, setting
`COMMENTS_ALERT_CONN_ID`): its ``host`` holds the whole URL, e.g.
``AIRFLOW_CONN_COMMENTS_ALERT_WEBHOOK='{"conn_type": "http", "host": "https://hooks.example/T0/B0/x"}'``.
It receives ``{"text": ..., "dag_id": ..., "run_id": ..., "findings": [...]}``.

`WebhookNotifier` is Airflow's notifier mechanism for the same webhook: the DAG uses it for
task-level and DAG-level failure callbacks. A failing webhook never fails the pipeline (the
findings are in the task log either way), and neither the URL nor any error text that could
contain it is ever logged unredacted.

The URL is never logged, not even by httpx, and never part of an error message; logs name it
as ``https://host/REDACTED``. Findings (which may quote exception text) are redacted before
they are logged or sent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from comment_etl.config import DEFAULT_ALERT_CONN_ID
from comment_etl.sources.redact import redact, redact_url, secrets_hidden_from, url_secrets

try:  # The notifier base class is Airflow's; the rest of this module works without Airflow.
    from airflow.sdk import BaseNotifier
except ImportError:  # pragma: no cover - plain Python use (benchmarks)
    BaseNotifier = object  # type: ignore[assignment,misc]

if TYPE_CHECKING:
    from airflow.sdk import Context

log = logging.getLogger(__name__)

#: How much of an exception message an alert carries (the task log has the rest).
ERROR_CHARS = 500


def webhook_url(conn_id: str) -> str:
    """The webhook URL stored in Airflow Connection `conn_id`; "" when there is none.

    The URL is registered with Airflow's secrets masker, so it is replaced by ``***`` wherever
    it would reach a task log.
    """
    if not conn_id:
        return ""
    try:
        from airflow.sdk import Connection
        from airflow.sdk.log import mask_secret
    except ImportError:
        return ""
    try:
        conn = Connection.get(conn_id)
    except Exception as exc:  # not defined: alerts go to the log only
        log.info("no alert webhook: Airflow connection %r is not usable (%s)", conn_id, type(exc))
        return ""
    url = (conn.host or "").strip()
    if url and "://" not in url:
        scheme = "https" if conn.conn_type in (None, "", "http", "https") else conn.conn_type
        url = f"{scheme}://{url}"
        if conn.port:
            url += f":{conn.port}"
        if conn.schema:
            url += f"/{conn.schema.lstrip('/')}"
    if url:
        mask_secret(url)
    return url


def send_alert(webhook: str, title: str, findings: list[str], context: dict[str, Any]) -> bool:
    """Log every finding; POST them to `webhook` when there is one. True when delivered."""
    secrets = url_secrets(webhook)
    findings = [redact(finding, secrets) for finding in findings]
    for finding in findings:
        log.warning("ALERT %s: %s", title, finding)
    if not webhook or not findings:
        return False
    payload = {"text": f"{title}: " + "; ".join(findings), "findings": findings, **context}
    try:
        with secrets_hidden_from(("httpx", "httpcore"), secrets):
            response = httpx.post(webhook, json=payload, timeout=10.0)
            response.raise_for_status()
    except httpx.HTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        log.error(
            "could not deliver the alert to the webhook %s: %s%s (the findings are above in "
            "this log; check the alert webhook connection)",
            redact_url(webhook),
            type(exc).__name__,
            f" (HTTP {status})" if status else f": {redact(exc, secrets)}",
        )
        return False
    return True


def failure_findings(context: Mapping[str, Any]) -> tuple[str, list[str], dict[str, Any]]:
    """Title, findings and payload fields for a failed task or DAG run, from Airflow's context.

    A task callback's context has the task instance and its exception; a DAG callback's has
    ``reason`` and (usually) the last task instance the scheduler looked at.
    """
    dag = context.get("dag")
    dag_id = getattr(dag, "dag_id", None) or "?"
    run_id = str(context.get("run_id") or getattr(context.get("dag_run"), "run_id", "?"))
    ti = context.get("task_instance") or context.get("ti")
    task_id = getattr(ti, "task_id", None)
    map_index = getattr(ti, "map_index", -1)
    rendered = getattr(ti, "rendered_map_index", None)
    exception = context.get("exception")
    reason = context.get("reason")
    fields: dict[str, Any] = {"dag_id": dag_id, "run_id": run_id}
    if exception is not None or reason is None:
        title = f"{dag_id}: task {task_id} failed"
        where = f"task {task_id}"
        if map_index is not None and map_index >= 0:
            where += f"[{map_index}]"
            if rendered:
                where += f" (file {rendered!r})"
        error = redact(f"{type(exception).__name__}: {exception}")[:ERROR_CHARS]
        findings = [f"DAG {dag_id}, run {run_id}: {where} failed: {error}"]
        fields.update(task_id=task_id, map_index=map_index, file=rendered, error=error)
    else:
        title = f"{dag_id}: run failed"
        findings = [f"DAG {dag_id}, run {run_id} failed ({reason})"]
        if task_id:
            findings[0] += f"; last task seen: {task_id}"
        fields.update(reason=reason, task_id=task_id)
    return title, findings, fields


class WebhookNotifier(BaseNotifier):
    """Airflow notifier posting a failure (task- or DAG-level) to the alert webhook connection."""

    template_fields = ("conn_id",)

    def __init__(self, conn_id: str = DEFAULT_ALERT_CONN_ID) -> None:
        super().__init__()
        self.conn_id = conn_id

    def notify(self, context: Context) -> None:
        title, findings, fields = failure_findings(context)
        send_alert(webhook_url(self.conn_id), title, findings, fields)

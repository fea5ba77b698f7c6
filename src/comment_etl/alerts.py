"""Alerting: log findings loudly and, when configured, POST them to a webhook.

The webhook (`COMMENTS_ALERT_WEBHOOK`, e.g. a Slack/Teams/Mattermost incoming webhook or any
HTTP endpoint) receives ``{"text": ..., "dag_id": ..., "run_id": ..., "findings": [...]}``.
A failing webhook never fails the pipeline: the findings are in the task log either way.

The webhook URL is a credential (its path or query holds the token): it is never logged, not
even by httpx, and never part of an error message; logs name it as ``https://host/REDACTED``.
Findings (which may quote exception text) are redacted before they are logged or sent.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from comment_etl.sources.redact import redact, redact_url, secrets_hidden_from, url_secrets

log = logging.getLogger(__name__)


def send_alert(webhook: str, title: str, findings: list[str], context: dict[str, Any]) -> bool:
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
            "this log; check COMMENTS_ALERT_WEBHOOK)",
            redact_url(webhook),
            type(exc).__name__,
            f" (HTTP {status})" if status else f": {redact(exc, secrets)}",
        )
        return False
    return True

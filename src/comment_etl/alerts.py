"""Alerting: log findings loudly and, when configured, POST them to a webhook.

The webhook (`COMMENTS_ALERT_WEBHOOK`, e.g. a Slack/Teams/Mattermost incoming webhook or any
HTTP endpoint) receives ``{"text": ..., "dag_id": ..., "run_id": ..., "findings": [...]}``.
A failing webhook never fails the pipeline: the findings are in the task log either way.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)


def send_alert(webhook: str, title: str, findings: list[str], context: dict[str, Any]) -> bool:
    for finding in findings:
        log.warning("ALERT %s: %s", title, finding)
    if not webhook or not findings:
        return False
    payload = {"text": f"{title}: " + "; ".join(findings), "findings": findings, **context}
    try:
        response = httpx.post(webhook, json=payload, timeout=10.0)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        log.error("could not deliver the alert to the webhook: %s", exc)
        return False
    return True

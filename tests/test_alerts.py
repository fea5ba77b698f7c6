"""Alerts reach a webhook (a server this test starts on 127.0.0.1) and never fail a run."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from comment_etl.alerts import send_alert
from comment_etl.pipeline import alert_lines


@pytest.fixture
def webhook(no_proxy):
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            status = 500 if self.path == "/broken" else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()


def test_findings_are_posted(webhook):
    url, received = webhook
    findings = alert_lines(
        {"failed_files": ["bad.jsonl.gz"], "rejects": 3, "load_id": "run1"},
        {"fct_comments": 10},
    )
    assert send_alert(url + "/hook", "comments_daily findings", findings, {"run_id": "run1"})
    assert received[0]["run_id"] == "run1"
    assert received[0]["findings"] == findings
    assert "bad.jsonl.gz" in findings[0] and "3 records rejected" in findings[1]


def test_a_broken_webhook_does_not_raise(webhook):
    url, received = webhook
    assert send_alert(url + "/broken", "t", ["something"], {}) is False
    assert len(received) == 1


def test_nothing_to_say_posts_nothing(webhook):
    url, received = webhook
    assert alert_lines({"failed_files": [], "rejects": 0}, {"fct_comments": 5}) == []
    assert send_alert(url + "/hook", "t", [], {}) is False
    assert received == []


def test_missing_marts_and_scraper_problems_are_findings():
    lines = alert_lines(
        None,
        None,
        {"youtube": [{"video_id": "abc", "status": "quota_exceeded", "message": "quota"}]},
    )
    assert lines[0] == "YouTube video abc: quota_exceeded: quota"
    assert "not rebuilt and published" in lines[1]

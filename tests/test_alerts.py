"""Alerts reach a webhook (a server this test starts on 127.0.0.1) and never fail a run."""

from __future__ import annotations

from comment_etl.alerts import failure_findings, send_alert
from comment_etl.pipeline import alert_lines


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


def test_failed_tasks_and_scraper_problems_are_findings():
    lines = alert_lines(
        None,
        None,
        {"youtube": [{"video_id": "abc", "status": "quota_exceeded", "message": "quota"}]},
        task_states={"parse": "success", "dbt_build": "failed", "publish": "upstream_failed"},
    )
    assert lines[0] == "YouTube video abc: quota_exceeded: quota"
    assert lines[1].startswith("tasks failed in this run: dbt_build, publish")


def test_nothing_new_is_not_a_finding():
    states = {"load_staging": "success", "dbt_build": "skipped", "publish": "skipped"}
    assert alert_lines({"failed_files": [], "rejects": 0}, None, task_states=states) == []


class _TI:
    dag_id, run_id, task_id, map_index = "comments_daily", "manual__1", "parse", 3
    rendered_map_index = "RC_2025-01.zst"


class _Dag:
    dag_id = "comments_daily"


def test_a_task_failure_names_dag_run_task_file_and_error_without_secrets():
    error = RuntimeError("GET https://dumps.example/x.zst?token=s3cr3t failed")
    title, findings, fields = failure_findings(
        {"dag": _Dag(), "run_id": "manual__1", "task_instance": _TI(), "exception": error}
    )
    assert title == "comments_daily: task parse failed"
    assert findings == [
        "DAG comments_daily, run manual__1: task parse[3] (file 'RC_2025-01.zst') failed: "
        "RuntimeError: GET https://dumps.example/x.zst?token=REDACTED failed"
    ]
    assert fields["file"] == "RC_2025-01.zst" and "s3cr3t" not in str(fields)


def test_a_dag_failure_names_the_run_and_its_reason():
    title, findings, fields = failure_findings(
        {"dag": _Dag(), "run_id": "manual__1", "reason": "task_failure"}
    )
    assert title == "comments_daily: run failed"
    assert findings == ["DAG comments_daily, run manual__1 failed (task_failure)"]
    assert fields["reason"] == "task_failure"

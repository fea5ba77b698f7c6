"""Shared helpers of the network sources: backoff policy and credential redaction."""

from __future__ import annotations

import logging

import httpx
import pytest

from comment_etl.sources.redact import RedactingFilter, install_httpx_log_filter, redact
from comment_etl.sources.retry import (
    RetriesExhausted,
    RetryableStatus,
    RetryPolicy,
    call_with_retry,
)


def test_backoff_doubles_and_is_capped():
    policy = RetryPolicy(attempts=6, base_delay=2.0, max_delay=10.0)
    assert [policy.delay(n) for n in range(1, 6)] == [2.0, 4.0, 8.0, 10.0, 10.0]


def test_retry_after_wins_when_longer_but_stays_capped():
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0)
    assert policy.delay(1, retry_after=7.0) == 7.0
    assert policy.delay(3, retry_after=0.5) == 4.0
    assert policy.delay(1, retry_after=600.0) == 30.0


def test_call_with_retry_retries_only_retryable_errors():
    sleeps: list[float] = []
    outcomes: list[Exception | str] = [httpx.ReadTimeout("slow"), RetryableStatus(503), "done"]

    def attempt() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    policy = RetryPolicy(attempts=3, base_delay=1.0, sleep=sleeps.append)
    assert call_with_retry(attempt, policy, "op") == "done"
    assert sleeps == [1.0, 2.0]

    def bad() -> str:
        raise ValueError("not retried")

    with pytest.raises(ValueError):
        call_with_retry(bad, policy, "op")
    assert sleeps == [1.0, 2.0]


def test_retries_exhausted_message_is_redacted():
    def attempt() -> None:
        raise httpx.ConnectError("refused for https://h/x?key=SEKRIT")

    policy = RetryPolicy(attempts=2, base_delay=0.0, sleep=lambda _: None)
    with pytest.raises(RetriesExhausted) as info:
        call_with_retry(attempt, policy, "GET x", secrets=("SEKRIT",))
    assert str(info.value) == (
        "GET x: gave up after 2 attempts, last error: "
        "ConnectError: refused for https://h/x?key=REDACTED"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "https://h/v3/x?part=id&key=AIza123&pageToken=abc",
            "https://h/v3/x?part=id&key=REDACTED&pageToken=abc",
        ),
        (
            "https://s3/b/o?X-Amz-Signature=ff00&X-Amz-Date=1",
            "https://s3/b/o?X-Amz-Signature=REDACTED&X-Amz-Date=1",
        ),
        ("https://user:pa55@host/f.json", "https://user:REDACTED@host/f.json"),
        ("access_token=abc def", "access_token=REDACTED def"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_redact_known_secret_anywhere():
    assert redact("bad key 'AIza123' given", ("AIza123",)) == "bad key 'REDACTED' given"


def test_httpx_log_filter_redacts_request_lines(caplog):
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="httpx")  # Airflow's logging config sets it to WARN
    install_httpx_log_filter()
    install_httpx_log_filter()  # idempotent
    assert sum(isinstance(f, RedactingFilter) for f in logging.getLogger("httpx").filters) == 1

    logging.getLogger("httpx").info("HTTP Request: %s %s", "GET", "https://h/x?key=AIza123")

    assert caplog.messages == ["HTTP Request: GET https://h/x?key=REDACTED"]

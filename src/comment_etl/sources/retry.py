"""Bounded retries with exponential backoff, shared by the network sources.

What is retried: timeouts and other transport errors (connection reset, truncated body) and
responses the caller turns into `RetryableStatus` (5xx, 429). Everything else propagates at
once. `sleep` is injectable so tests run without waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from comment_etl.sources.redact import redact

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries in all; the wait before try n+1 is base_delay * 2**(n-1), capped."""

    attempts: int = 5
    base_delay: float = 2.0
    max_delay: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be >= 1")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed try number `attempt` (1-based).

        A server's Retry-After wins when it asks for longer, still capped at `max_delay`.
        """
        backoff = self.base_delay * 2 ** (attempt - 1)
        if retry_after is not None:
            backoff = max(backoff, retry_after)
        return min(backoff, self.max_delay)


class RetryableStatus(Exception):
    """A response worth retrying (5xx, 429); raised by the caller's attempt function."""

    def __init__(self, status_code: int, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        self.retry_after = retry_after


class RetriesExhausted(Exception):
    """Every attempt failed with a retryable error; `last_error` is already redacted."""

    def __init__(self, what: str, attempts: int, last_error: str) -> None:
        super().__init__(f"{what}: gave up after {attempts} attempts, last error: {last_error}")
        self.attempts = attempts
        self.last_error = last_error


RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504}) | frozenset(range(505, 600))


def is_retryable_status(status_code: int) -> bool:
    return status_code in RETRYABLE_STATUS


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds, if it is a plain number (HTTP dates are ignored)."""
    value = response.headers.get("retry-after", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def describe_error(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """A short, redacted one-liner for logs and results (some httpx errors have no text)."""
    text = str(exc).strip()
    name = type(exc).__name__
    return redact(f"{name}: {text}" if text else name, secrets)


def call_with_retry(
    attempt_fn: Callable[[], T],
    policy: RetryPolicy,
    what: str,
    secrets: tuple[str, ...] = (),
) -> T:
    """Run `attempt_fn` until it returns, retrying transport errors and `RetryableStatus`.

    `what` names the operation in log lines; it must already be free of secrets (pass a
    redacted URL). Raises `RetriesExhausted` after the last failed attempt.
    """
    for attempt in range(1, policy.attempts + 1):
        try:
            return attempt_fn()
        except (httpx.TransportError, RetryableStatus) as exc:
            error = describe_error(exc, secrets)
            if attempt == policy.attempts:
                raise RetriesExhausted(what, attempt, error) from None
            retry_after = exc.retry_after if isinstance(exc, RetryableStatus) else None
            wait = policy.delay(attempt, retry_after)
            log.warning(
                "%s failed (%s); attempt %d of %d, retrying in %.1fs",
                what,
                error,
                attempt,
                policy.attempts,
                wait,
            )
            policy.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover

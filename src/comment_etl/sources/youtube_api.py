"""Fetch comments from the YouTube Data API v3 into the landing folder, untouched.

For each video: page through ``commentThreads.list`` and, for every thread whose
``snippet.totalReplyCount`` exceeds the replies embedded in it, page through
``comments.list?parentId=``. Every API response page becomes one JSON line of ONE dump file
per video and fetch, ``youtube_api__<videoId>__<UTC yyyymmddThhmmssZ>.jsonl``, in the order
fetched (a thread page, then the comments.list pages of its threads, then the next thread
page). The JSON is the API's own, re-serialized compactly so a page is exactly one line; the
reader in ``formats/`` parses it later like any dropped file. Note that comments.list returns
*all* replies of a thread, so replies already embedded in the thread appear twice.

The file is written under a dot-prefixed ``.<name>.part`` (ignored by discovery) and renamed
when the video is done, so the landing folder never holds half a dump. Errors:

* 403 ``quotaExceeded``: stop the whole scrape; the pages already fetched for the current
  video are kept as its dump (``partial=True``); later videos are reported, not attempted.
* 403 ``commentsDisabled`` / 404 ``videoNotFound``: recorded for that video; the next goes on.
* 5xx, 429 and timeouts: retried with exponential backoff (`RetryPolicy`).
* anything else: that video is ``failed`` (or ``partial`` when some pages were fetched).

The API key is sent as the ``key`` query parameter and never logged: our messages go through
`redact`, and a filter on httpx's logger redacts the request lines httpx logs itself.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx
import orjson

from comment_etl.config import DEFAULT_YOUTUBE_API_URL, DEFAULT_YOUTUBE_CONN_ID
from comment_etl.landing.files import part_path
from comment_etl.sources.redact import install_httpx_log_filter, redact
from comment_etl.sources.retry import (
    RetriesExhausted,
    RetryableStatus,
    RetryPolicy,
    call_with_retry,
    is_retryable_status,
    retry_after_seconds,
)

log = logging.getLogger(__name__)

FILE_PREFIX = "youtube_api"
PAGE_SIZE = 100
USER_AGENT = "comment-etl/0.1 (+youtube_api source)"

#: Per-video result statuses.
OK = "ok"
PARTIAL = "partial"
COMMENTS_DISABLED = "comments_disabled"
NOT_FOUND = "not_found"
QUOTA_EXCEEDED = "quota_exceeded"
FAILED = "failed"

#: ``error.errors[0].reason`` values meaning "no more requests today" for this key.
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
#: YouTube video ids are 11 characters of base64url; anything else is refused before a request
#: (the id also goes into a file name).
VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")


@dataclass
class VideoResult:
    """What happened to one video. `path` is the dump file, None when nothing was written."""

    video_id: str
    status: str
    pages: int = 0
    threads: int = 0
    path: str | None = None
    message: str = ""
    partial: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ApiError(Exception):
    """A non-retryable API answer; `message` is already redacted."""

    def __init__(self, status_code: int, reason: str, message: str) -> None:
        super().__init__(f"HTTP {status_code} {reason}: {message}")
        self.status_code = status_code
        self.reason = reason
        self.message = message


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Api:
    """GET one API page with retries; returns the decoded JSON object."""

    def __init__(
        self, client: httpx.Client, base_url: str, api_key: str, retry: RetryPolicy
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.retry = retry

    def get(self, endpoint: str, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self.base_url}/{endpoint}"
        what = redact(f"{endpoint} " + " ".join(f"{k}={v}" for k, v in params.items()))

        def attempt() -> dict[str, Any]:
            response = self.client.get(url, params={**params, "key": self.api_key})
            if is_retryable_status(response.status_code):
                raise RetryableStatus(response.status_code, retry_after_seconds(response))
            if response.status_code != 200:
                raise self._error(response)
            return self._page(response)

        return call_with_retry(attempt, self.retry, what, (self.api_key,))

    def _error(self, response: httpx.Response) -> ApiError:
        reason, message = f"http{response.status_code}", ""
        try:
            error = orjson.loads(response.content).get("error") or {}
            message = str(error.get("message") or "")
            errors = error.get("errors") or [{}]
            reason = str(errors[0].get("reason") or reason)
        except (orjson.JSONDecodeError, AttributeError, TypeError, IndexError):
            message = response.text[:200]
        return ApiError(response.status_code, reason, redact(message, (self.api_key,))[:300])

    @staticmethod
    def _page(response: httpx.Response) -> dict[str, Any]:
        try:
            page = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise ApiError(200, "invalidResponse", f"body is not JSON ({exc})") from None
        if not isinstance(page, dict) or not isinstance(page.get("items", []), list):
            raise ApiError(200, "invalidResponse", "body is not an API list response")
        return page


class _DumpWriter:
    """Append pages as JSON lines to ``.<name>.part``; `commit` renames it to the final name."""

    def __init__(self, final: Path) -> None:
        self.final = final
        self.part = part_path(final)
        self.pages = 0
        self._fh: IO[bytes] | None = None

    def write(self, page: dict[str, Any]) -> None:
        if self._fh is None:
            self._fh = open(self.part, "wb")  # noqa: SIM115 - closed in commit/discard
        self._fh.write(orjson.dumps(page) + b"\n")
        self.pages += 1

    def commit(self) -> Path:
        assert self._fh is not None
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._fh = None
        os.replace(self.part, self.final)
        return self.final

    def discard(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self.part.unlink(missing_ok=True)


def _dump_path(landing: Path, video_id: str, when: datetime) -> Path:
    stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = f"{FILE_PREFIX}__{video_id}__{stamp}"
    candidate = landing / f"{base}.jsonl"
    n = 1
    # Two fetches of one video in the same second must not overwrite each other.
    while candidate.exists() or part_path(candidate).exists():
        n += 1
        candidate = landing / f"{base}-{n}.jsonl"
    return candidate


class _VideoFetch:
    """Fetch every page for one video into a writer; counts what it saw."""

    def __init__(self, api: _Api, video_id: str, writer: _DumpWriter, text_format: str) -> None:
        self.api = api
        self.video_id = video_id
        self.writer = writer
        self.text_format = text_format
        self.threads = 0
        self.missing_replies: list[str] = []

    def run(self) -> None:
        params = {
            "part": "id,snippet,replies",
            "videoId": self.video_id,
            "maxResults": str(PAGE_SIZE),
            "textFormat": self.text_format,
        }
        for page in self._pages("commentThreads", params):
            items = page.get("items") or []
            self.threads += len(items)
            for thread in items:
                self._fetch_missing_replies(thread)

    def _pages(self, endpoint: str, params: dict[str, str]) -> Iterable[dict[str, Any]]:
        """Each page is written before it is yielded, so an error later keeps it."""
        seen: set[str] = set()
        token: str | None = None
        while True:
            page = self.api.get(endpoint, {**params, "pageToken": token} if token else params)
            self.writer.write(page)
            yield page
            token = page.get("nextPageToken") or None
            if token is None:
                return
            if token in seen:  # a server bug would otherwise loop forever, burning quota
                raise ApiError(200, "repeatedPageToken", f"{endpoint} returned a token twice")
            seen.add(token)

    def _fetch_missing_replies(self, thread: Any) -> None:
        if not isinstance(thread, dict):
            return
        snippet = thread.get("snippet") or {}
        embedded = (thread.get("replies") or {}).get("comments") or []
        total = snippet.get("totalReplyCount") or 0
        if not isinstance(total, int) or total <= len(embedded) or not thread.get("id"):
            return
        params = {
            "part": "snippet",
            "parentId": str(thread["id"]),
            "maxResults": str(PAGE_SIZE),
            "textFormat": self.text_format,
        }
        try:
            for _ in self._pages("comments", params):
                pass
        except ApiError as exc:
            if exc.reason in QUOTA_REASONS:
                raise
            # One deleted or hidden thread must not cost the whole video.
            log.warning(
                "video %s: replies of thread %s skipped: %s", self.video_id, params["parentId"], exc
            )
            self.missing_replies.append(params["parentId"])


def _status_for(exc: ApiError, pages: int) -> str:
    if exc.reason in QUOTA_REASONS:
        return QUOTA_EXCEEDED
    if exc.reason == "commentsDisabled":
        return COMMENTS_DISABLED
    if exc.reason == "videoNotFound" or exc.status_code == 404:
        return NOT_FOUND
    return PARTIAL if pages else FAILED


def _scrape_video(
    api: _Api, video_id: str, landing: Path, when: datetime, text_format: str
) -> VideoResult:
    writer = _DumpWriter(_dump_path(landing, video_id, when))
    fetch = _VideoFetch(api, video_id, writer, text_format)
    try:
        fetch.run()
        status, message = OK, ""
        if fetch.missing_replies:
            status = PARTIAL
            message = f"replies missing for {len(fetch.missing_replies)} thread(s)"
    except ApiError as exc:
        status = _status_for(exc, writer.pages)
        message = str(exc)
        if status == QUOTA_EXCEEDED:
            message = f"API quota exceeded after {writer.pages} page(s), scrape stopped: {exc}"
    except RetriesExhausted as exc:
        status = PARTIAL if writer.pages else FAILED
        message = str(exc)
    except BaseException:
        writer.discard()
        raise
    path = str(writer.commit()) if writer.pages else None
    return VideoResult(
        video_id=video_id,
        status=status,
        pages=writer.pages,
        threads=fetch.threads,
        path=path,
        message=message,
        partial=bool(path) and status != OK,
    )


def scrape_videos(
    video_ids: Iterable[str],
    landing_dir: str | Path,
    api_key: str,
    *,
    base_url: str = DEFAULT_YOUTUBE_API_URL,
    timeout: float = 30.0,
    retry: RetryPolicy | None = None,
    client: httpx.Client | None = None,
    text_format: str = "plainText",
    now: Callable[[], datetime] = _utcnow,
) -> list[VideoResult]:
    """Fetch all comment threads (and missing replies) of each video into `landing_dir`.

    Returns one `VideoResult` per distinct video id, in order. Never raises for API errors;
    raises ValueError for an empty key. `client` is for callers that manage their own
    connection pool; by default one is created with `timeout` seconds per request.
    """
    if not api_key:
        raise ValueError("a YouTube Data API key is required")
    install_httpx_log_filter()
    landing = Path(landing_dir)
    landing.mkdir(parents=True, exist_ok=True)
    own_client = client is None
    http = client or httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT})
    api = _Api(http, base_url, api_key, retry or RetryPolicy())
    results: list[VideoResult] = []
    quota_hit_on: str | None = None
    try:
        for video_id in dict.fromkeys(video_ids):
            if quota_hit_on is not None:
                results.append(
                    VideoResult(
                        video_id,
                        QUOTA_EXCEEDED,
                        message=f"not attempted: API quota exhausted while fetching {quota_hit_on}",
                    )
                )
                continue
            if not VIDEO_ID.fullmatch(video_id):
                results.append(VideoResult(video_id, FAILED, message="not a YouTube video id"))
                continue
            result = _scrape_video(api, video_id, landing, now(), text_format)
            log.info(
                "video %s: %s, %d page(s), %d thread(s)%s%s",
                video_id,
                result.status,
                result.pages,
                result.threads,
                f" -> {result.path}" if result.path else "",
                f" ({result.message})" if result.message else "",
            )
            results.append(result)
            if result.status == QUOTA_EXCEEDED:
                quota_hit_on = video_id
                log.error(
                    "YouTube API quota exhausted while fetching %s; stopping the scrape. "
                    "%d page(s) fetched for it were kept%s. The daily quota resets at "
                    "midnight Pacific time.",
                    video_id,
                    result.pages,
                    f" in {result.path}" if result.path else "",
                )
    finally:
        if own_client:
            http.close()
    return results


def api_key_from_connection(conn_id: str = DEFAULT_YOUTUBE_CONN_ID) -> str:
    """The API key stored in an Airflow Connection: its password, else its extra ``api_key``.

    Uses the Airflow 3 task SDK lookup (inside a task: the API server; outside one: secrets
    backends, including ``AIRFLOW_CONN_<CONN_ID>`` env vars in JSON or URI form). Airflow only
    masks a Connection's password and its *whole* extra string in logs, so the key is
    registered with the secrets masker explicitly. Imported lazily: importing this module
    must not pay for (or require) Airflow.
    """
    from airflow.sdk import Connection
    from airflow.sdk.log import mask_secret

    conn = Connection.get(conn_id)
    key = (conn.password or "").strip()
    if not key:
        key = str(conn.extra_dejson.get("api_key") or "").strip()
    if not key:
        raise ValueError(
            f"Airflow connection {conn_id!r} has no YouTube API key: "
            "set its password or an `api_key` field in its extra"
        )
    mask_secret(key)
    return key

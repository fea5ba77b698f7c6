"""Download HTTP(S) dump files into the landing folder, resumably and never half-written.

The body is streamed, byte for byte (``Accept-Encoding: identity``, raw stream: a ``.json.gz``
stays gzip; the readers detect compression from magic bytes), into
``.http_dump-<url hash>.part`` while its sha256 is computed, then renamed to the final name.
Next to it ``.http_dump-<url hash>.json`` keeps what a later run needs: the validator
(ETag / Last-Modified) and chosen name of an unfinished download, and the sha256 / ETag of the
last finished one. Both are dot-prefixed, so discovery ignores them. One process per URL at a
time: `download_dumps` fetches the URLs one after another, inside the DAG's one
``fetch_sources`` task.

* Resume: when a ``.part`` exists and its validator is known, ask for ``Range: bytes=N-`` with
  ``If-Range``; a 206 from N appends, a 200 (no range support, or the file changed) starts over.
* Skip: a finished download with an ETag is revalidated with ``If-None-Match`` (304 -> skipped);
  a download whose bytes equal the file already at the final name is dropped (skipped).
  Different bytes under an existing name are kept as ``<stem>__<sha12><exts>``: the landing
  folder is raw history and the loader identifies files by content, not name.
* Refusals (disallowed content type, over `max_bytes`, HTTP 4xx, checksum mismatch) delete the
  partial file; exhausted retries (5xx, timeouts, cut connections) keep it for the next run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import orjson

from comment_etl.config import DEFAULT_DUMP_MAX_BYTES
from comment_etl.landing.files import IGNORED_SUFFIXES, sha256_of
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

DOWNLOADED = "downloaded"
SKIPPED = "skipped"
FAILED = "failed"

#: Media types accepted as dumps (parameters such as ``; charset=`` are ignored).
ALLOWED_CONTENT_TYPES: tuple[str, ...] = (
    "application/json",
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
    "text/plain",
    "text/csv",
    "application/csv",
    "application/gzip",
    "application/x-gzip",
    "application/zstd",
    "application/x-zstd",
    "application/octet-stream",
    "binary/octet-stream",
)
CHUNK = 1 << 20
USER_AGENT = "comment-etl/0.1 (+http_dump source)"
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)


@dataclass
class DumpResult:
    """Outcome for one URL; `url` is redacted (pre-signed URLs carry credentials)."""

    url: str
    path: str | None
    sha256: str | None
    bytes: int
    status: str
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DumpRefused(Exception):
    """A definitive no for this URL: retrying will not help, the partial file is dropped."""


class IncompleteBody(httpx.TransportError):
    """The connection ended before Content-Length bytes arrived (retried, then resumed)."""


def media_type_allowed(content_type: str | None, allowed: Iterable[str]) -> bool:
    """True when the header's media type is in `allowed`; a missing header counts as
    ``application/octet-stream`` (RFC 9110 8.3), ``+json`` types as ``application/json``."""
    media = (content_type or "").split(";", 1)[0].strip().lower() or "application/octet-stream"
    allowed_set = {a.lower() for a in allowed}
    return media in allowed_set or (media.endswith("+json") and "application/json" in allowed_set)


def safe_name(raw: str | None) -> str | None:
    """A plain file name from an untrusted one: last path component, safe characters only,
    no leading dots (hidden / ``..``), never a temp-file suffix discovery would ignore."""
    if not raw:
        return None
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME_CHARS.sub("_", name).lstrip(".")[:200]
    if not name.strip("._-"):
        return None
    if name.endswith(IGNORED_SUFFIXES):
        name += "_"
    return name


def filename_from_headers(content_disposition: str | None) -> str | None:
    """The (unsanitized) file name of a Content-Disposition header, RFC 6266 / 5987 aware."""
    if not content_disposition:
        return None
    message = Message()
    message["content-disposition"] = content_disposition
    return message.get_filename()


def _versioned(name: str, sha256: str) -> str:
    """``RC_2024-01.json.gz`` -> ``RC_2024-01__<sha12>.json.gz``."""
    stem, dot, exts = name.partition(".")
    return f"{stem}__{sha256[:12]}{dot}{exts}"


def _inside(landing: Path, name: str) -> Path:
    path = (landing / name).resolve()
    if path.parent != landing:
        raise DumpRefused(f"file name {name!r} would leave the landing folder")
    return path


class _State:
    """The dot-prefixed JSON sidecar of one URL: ``partial`` and ``done`` records."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {}
        try:
            loaded = orjson.loads(path.read_bytes())
            self.data = loaded if isinstance(loaded, dict) else {}
        except (FileNotFoundError, orjson.JSONDecodeError):
            pass

    @property
    def partial(self) -> dict[str, Any]:
        return self.data.get("partial") or {}

    @property
    def done(self) -> dict[str, Any]:
        return self.data.get("done") or {}

    def set(self, key: str, value: dict[str, Any] | None) -> None:
        if value is None:
            self.data.pop(key, None)
        else:
            self.data[key] = value
        if not self.data:
            self.path.unlink(missing_ok=True)
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_bytes(orjson.dumps(self.data))
        os.replace(tmp, self.path)


def _validator(response: httpx.Response) -> str | None:
    """What If-Range may carry: a strong ETag, else Last-Modified."""
    etag = response.headers.get("etag")
    if etag and not etag.startswith("W/"):
        return etag
    return response.headers.get("last-modified")


class _Download:
    def __init__(
        self,
        client: httpx.Client,
        url: str,
        landing: Path,
        *,
        max_bytes: int,
        allowed_content_types: tuple[str, ...],
    ) -> None:
        self.client = client
        self.url = url
        self.safe_url = redact(url)
        self.landing = landing
        self.max_bytes = max_bytes
        self.allowed = allowed_content_types
        self.key = hashlib.sha256(url.encode()).hexdigest()[:16]
        self.part = landing / f".http_dump-{self.key}.part"
        self.state = _State(landing / f".http_dump-{self.key}.json")

    # -- one attempt ------------------------------------------------------------------------
    def attempt(self) -> tuple[str, int, dict[str, Any]]:
        """Fetch once. Returns ("not_modified", 0, {}) or ("complete", bytes, partial record)."""
        headers = {"Accept-Encoding": "identity"}
        offset = self._resume_offset()
        if offset:
            headers["Range"] = f"bytes={offset}-"
            headers["If-Range"] = self.state.partial["validator"]
        elif self._done_is_current():
            headers["If-None-Match"] = self.state.done["etag"]
        with self.client.stream("GET", self.url, headers=headers) as response:
            status = response.status_code
            if status == 304 and "If-None-Match" in headers:
                return "not_modified", 0, {}
            if is_retryable_status(status):
                raise RetryableStatus(status, retry_after_seconds(response))
            if status == 206 and offset and self._range_start(response) == offset:
                return self._stream(response, offset)
            if status == 200:
                return self._stream(response, 0)
            if not (offset and status in (206, 416)):
                raise DumpRefused(f"HTTP {status} {response.reason_phrase}")
        # A 416, or a 206 for another range: our .part is not a prefix of what is served now.
        self._drop_partial()
        return self.attempt()

    def _resume_offset(self) -> int:
        if not self.part.exists():
            return 0
        if not self.state.partial.get("validator"):
            self._drop_partial()  # cannot prove the server still has the same file
            return 0
        return self.part.stat().st_size

    def _done_is_current(self) -> bool:
        done = self.state.done
        if not done.get("etag") or not done.get("name"):
            return False
        final = self.landing / done["name"]
        return final.is_file() and sha256_of(final) == done.get("sha256")

    @staticmethod
    def _range_start(response: httpx.Response) -> int | None:
        match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
        return int(match.group(1)) if match else None

    def _expected_total(self, response: httpx.Response, offset: int) -> int | None:
        if response.status_code == 206:
            match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
            if match and match.group(3) != "*":
                return int(match.group(3))
        length = response.headers.get("content-length")
        return offset + int(length) if length and length.isdigit() else None

    def _stream(self, response: httpx.Response, offset: int) -> tuple[str, int, dict[str, Any]]:
        content_type = response.headers.get("content-type")
        if not media_type_allowed(content_type, self.allowed):
            raise DumpRefused(f"content type {content_type!r} is not an allowed dump type")
        total = self._expected_total(response, offset)
        if total is not None and total > self.max_bytes:
            raise DumpRefused(f"size {total} bytes exceeds the limit of {self.max_bytes} bytes")
        record = self._partial_record(response, keep_name=offset > 0)
        self.state.set("partial", record)
        digest = hashlib.sha256()
        if offset:
            with open(self.part, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
        received = offset
        with open(self.part, "ab" if offset else "wb") as fh:
            # Unbuffered raw chunks: on a dropped connection every byte received is on disk.
            for chunk in response.iter_raw():
                received += len(chunk)
                if received > self.max_bytes:
                    raise DumpRefused(f"more than the limit of {self.max_bytes} bytes received")
                digest.update(chunk)
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        if total is not None and received != total:
            raise IncompleteBody(f"received {received} of {total} bytes")
        record["sha256"] = digest.hexdigest()
        return "complete", received, record

    def _partial_record(self, response: httpx.Response, keep_name: bool) -> dict[str, Any]:
        name = self.state.partial.get("name") if keep_name else None
        name = name or (
            safe_name(filename_from_headers(response.headers.get("content-disposition")))
            or safe_name(unquote(urlsplit(self.url).path))
            or f"dump-{self.key}"
        )
        _inside(self.landing, name)
        return {
            "name": name,
            "validator": _validator(response),
            "etag": response.headers.get("etag"),
        }

    def _drop_partial(self) -> None:
        self.part.unlink(missing_ok=True)
        self.state.set("partial", None)

    # -- the whole download -------------------------------------------------------------------
    def run(self, retry: RetryPolicy, expected_sha256: str | None) -> DumpResult:
        try:
            outcome, size, record = call_with_retry(self.attempt, retry, f"GET {self.safe_url}")
        except DumpRefused as exc:
            self._drop_partial()
            return self._result(None, None, 0, FAILED, f"refused: {exc}")
        except RetriesExhausted as exc:
            kept = self.part.stat().st_size if self.part.exists() else 0
            note = f"; {kept} bytes kept for resume" if kept else ""
            return self._result(None, None, 0, FAILED, f"{exc}{note}")
        if outcome == "not_modified":
            done = self.state.done
            path = self.landing / done["name"]
            return self._result(path, done["sha256"], done["bytes"], SKIPPED, "not modified (ETag)")
        return self._publish(size, record, expected_sha256)

    def _publish(self, size: int, record: dict[str, Any], expected: str | None) -> DumpResult:
        sha = record["sha256"]
        if expected and sha != expected.lower():
            self._drop_partial()
            return self._result(None, sha, size, FAILED, f"sha256 {sha} != expected {expected}")
        final = _inside(self.landing, record["name"])
        status, message = DOWNLOADED, ""
        existing = sha256_of(final) if final.exists() else None
        if existing not in (None, sha):
            final = _inside(self.landing, _versioned(record["name"], sha))
            existing = sha256_of(final) if final.exists() else None
            message = f"{record['name']} exists with other bytes; kept both"
        if existing == sha:
            self.part.unlink()
            status, message = SKIPPED, "same bytes already in the landing folder"
        else:
            os.replace(self.part, final)
        self.state.set("partial", None)
        self.state.set(
            "done", {"name": final.name, "sha256": sha, "bytes": size, "etag": record["etag"]}
        )
        return self._result(final, sha, size, status, message)

    def _result(
        self, path: Path | None, sha: str | None, size: int, status: str, message: str
    ) -> DumpResult:
        result = DumpResult(
            self.safe_url, str(path) if path else None, sha, size, status, redact(message)
        )
        level = logging.WARNING if status == FAILED else logging.INFO
        log.log(
            level,
            "%s: %s%s%s",
            self.safe_url,
            status,
            f" -> {path}" if path else "",
            f" ({result.message})" if message else "",
        )
        return result


def download_dumps(
    urls: Iterable[str],
    landing_dir: str | Path,
    *,
    max_bytes: int = DEFAULT_DUMP_MAX_BYTES,
    allowed_content_types: Iterable[str] = ALLOWED_CONTENT_TYPES,
    expected_sha256: dict[str, str] | None = None,
    timeout: float = 60.0,
    retry: RetryPolicy | None = None,
    client: httpx.Client | None = None,
) -> list[DumpResult]:
    """Download each URL into `landing_dir` (one shared connection pool); never raises for a
    network or server problem, which is reported in the URL's `DumpResult` instead.

    `expected_sha256` maps a URL to its published checksum, when the publisher has one.
    """
    install_httpx_log_filter()
    landing = Path(landing_dir).resolve()
    landing.mkdir(parents=True, exist_ok=True)
    own_client = client is None
    http = client or httpx.Client(
        timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}
    )
    policy = retry or RetryPolicy()
    checksums = expected_sha256 or {}
    results = []
    try:
        for url in dict.fromkeys(urls):
            if urlsplit(url).scheme.lower() not in {"http", "https"}:
                results.append(DumpResult(redact(url), None, None, 0, FAILED, "not an http(s) URL"))
                continue
            download = _Download(
                http,
                url,
                landing,
                max_bytes=max_bytes,
                allowed_content_types=tuple(allowed_content_types),
            )
            results.append(download.run(policy, checksums.get(url)))
    finally:
        if own_client:
            http.close()
    return results

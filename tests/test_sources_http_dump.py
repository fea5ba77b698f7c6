"""HTTP dump source against a file server started by the test on 127.0.0.1."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from comment_etl.sources.http_dump import download_dumps, media_type_allowed, safe_name
from comment_etl.sources.retry import RetryPolicy

#: ~190 KB of Reddit-style JSON lines (several read chunks, distinct bytes everywhere).
BODY = b"".join(
    b'{"id": "m%05d", "body": "comment number %d \xf0\x9f\x9a\x80", "score": %d}\n' % (i, i, i % 7)
    for i in range(3000)
)
ETAG = '"v1-5f3c"'


@dataclass
class Served:
    body: bytes = BODY
    content_type: str = "application/x-ndjson"
    etag: str | None = ETAG
    ranges: bool = True  # honour Range requests
    content_length: bool = True  # False: no Content-Length, body ends when the connection closes
    disposition: str | None = None
    statuses: list[int] = field(default_factory=list)  # answered first, one per request
    cut_after: int | None = None  # next 200/206 stops after this many bytes (connection dropped)


@dataclass
class FileServer:
    base_url: str = ""
    files: dict[str, Served] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        server: FileServer = self.server.files  # type: ignore[attr-defined]
        headers = {k.lower(): v for k, v in self.headers.items()}
        server.requests.append((self.path.split("?")[0], headers))
        served = server.files.get(self.path.split("?")[0])
        if served is None:
            return self._answer(server, 404, b"not found", "text/plain")
        if served.statuses:
            return self._answer(server, served.statuses.pop(0), b"oops", "text/plain")
        if served.etag and headers.get("if-none-match") == served.etag:
            return self._answer(server, 304, b"", None)
        body, status, extra = served.body, 200, {}
        wanted = headers.get("range", "")
        if (
            served.ranges
            and wanted.startswith("bytes=")
            and headers.get("if-range")
            in (
                None,
                served.etag,
            )
        ):
            start = int(wanted.removeprefix("bytes=").rstrip("-"))
            if start >= len(served.body):
                extra = {"Content-Range": f"bytes */{len(served.body)}"}
                return self._answer(server, 416, b"", "text/plain", extra)
            body, status = served.body[start:], 206
            extra["Content-Range"] = f"bytes {start}-{len(served.body) - 1}/{len(served.body)}"
        if served.disposition:
            extra["Content-Disposition"] = served.disposition
        if served.etag:
            extra["ETag"] = served.etag
        cut, served.cut_after = served.cut_after, None
        self._answer(server, status, body, served.content_type, extra, served.content_length, cut)

    def _answer(self, server, status, body, content_type, extra=None, length=True, cut=None):
        server.answers.append(status)
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        if not length or cut is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if status != 304:
            self.wfile.write(body if cut is None else body[:cut])

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True


# Requests must go straight to the local server, never through an environment proxy.
pytestmark = pytest.mark.usefixtures("no_proxy")


@pytest.fixture
def http() -> Iterator[FileServer]:
    files = FileServer()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.files = files  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    files.base_url = f"http://127.0.0.1:{server.server_port}"
    yield files
    server.shutdown()
    server.server_close()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def sleeps() -> list[float]:
    return []


def fetch(
    http: FileServer, path: str, landing: Path, sleeps: list[float], attempts: int = 3, **kwargs
):
    (result,) = download_dumps(
        [http.url(path)],
        landing,
        retry=RetryPolicy(attempts=attempts, base_delay=1.0, sleep=sleeps.append),
        timeout=5.0,
        **kwargs,
    )
    return result


def dumps_in(landing: Path) -> list[str]:
    """What discovery would see (dot-prefixed state and .part files excluded)."""
    return sorted(n for n in os.listdir(landing) if not n.startswith("."))


SHA = hashlib.sha256(BODY).hexdigest()


def test_full_download_with_sha256(http, landing, sleeps):
    http.files["/dumps/RC_2024-01.ndjson"] = Served()

    result = fetch(
        http,
        "/dumps/RC_2024-01.ndjson",
        landing,
        sleeps,
        expected_sha256={http.url("/dumps/RC_2024-01.ndjson"): SHA},
    )

    assert (result.status, result.sha256, result.bytes) == ("downloaded", SHA, len(BODY))
    assert result.path == str(landing / "RC_2024-01.ndjson")
    assert (landing / "RC_2024-01.ndjson").read_bytes() == BODY
    assert dumps_in(landing) == ["RC_2024-01.ndjson"]
    assert not list(landing.glob(".*.part"))
    assert http.requests[0][1]["accept-encoding"] == "identity"  # raw bytes, no transcoding


def test_checksum_mismatch_keeps_nothing(http, landing, sleeps):
    http.files["/d.json"] = Served()

    result = fetch(
        http, "/d.json", landing, sleeps, expected_sha256={http.url("/d.json"): "0" * 64}
    )

    assert (result.status, result.path) == ("failed", None)
    assert f"sha256 {SHA} != expected" in result.message
    assert os.listdir(landing) == []


def test_content_disposition_name_cannot_escape_landing(http, landing, sleeps):
    http.files["/export"] = Served(disposition='attachment; filename="../../etc/evil.json"')

    result = fetch(http, "/export", landing, sleeps)

    assert result.path == str(landing / "evil.json")
    assert dumps_in(landing) == ["evil.json"]
    assert not (landing.parent / "etc").exists()


def test_resume_from_part_with_range(http, landing, sleeps):
    http.files["/RC.zst"] = Served(content_type="application/zstd", cut_after=100_000)

    first = fetch(http, "/RC.zst", landing, sleeps, attempts=1)  # connection drops mid-body

    assert (first.status, first.path) == ("failed", None)
    assert first.message.endswith("100000 bytes kept for resume")
    assert dumps_in(landing) == []
    [part] = landing.glob(".*.part")
    assert part.stat().st_size == 100_000

    second = fetch(http, "/RC.zst", landing, sleeps)

    assert (second.status, second.sha256, second.bytes) == ("downloaded", SHA, len(BODY))
    assert http.requests[-1][1]["range"] == "bytes=100000-"
    assert http.requests[-1][1]["if-range"] == ETAG
    assert http.answers[-1] == 206
    assert (landing / "RC.zst").read_bytes() == BODY
    assert not part.exists()


def test_resume_not_supported_starts_over(http, landing, sleeps):
    http.files["/RC.zst"] = Served(content_type="application/zstd", ranges=False, cut_after=50_000)
    fetch(http, "/RC.zst", landing, sleeps, attempts=1)

    result = fetch(http, "/RC.zst", landing, sleeps)

    assert http.requests[-1][1]["range"] == "bytes=50000-"
    assert http.answers[-1] == 200
    assert (result.status, result.sha256, result.bytes) == ("downloaded", SHA, len(BODY))
    assert (landing / "RC.zst").read_bytes() == BODY


def test_part_longer_than_the_served_file_starts_over(http, landing, sleeps):
    http.files["/RC.zst"] = Served(content_type="application/zstd", cut_after=100_000)
    fetch(http, "/RC.zst", landing, sleeps, attempts=1)
    http.files["/RC.zst"].body = b"shorter now\n"  # same ETag: a misbehaving server

    result = fetch(http, "/RC.zst", landing, sleeps)

    assert http.answers[-2:] == [416, 200]
    assert (result.status, result.bytes) == ("downloaded", 12)
    assert (landing / "RC.zst").read_bytes() == b"shorter now\n"
    assert sleeps == []


def test_dropped_connection_resumes_within_one_call(http, landing, sleeps):
    http.files["/c.csv"] = Served(content_type="text/csv; charset=utf-8", cut_after=70_000)

    result = fetch(http, "/c.csv", landing, sleeps)

    assert (result.status, result.sha256) == ("downloaded", SHA)
    assert http.answers == [200, 206]
    assert sleeps == [1.0]


def test_size_limit_from_content_length_leaves_no_file(http, landing, sleeps):
    http.files["/big.json"] = Served()

    result = fetch(http, "/big.json", landing, sleeps, max_bytes=len(BODY) - 1)

    assert result.status == "failed"
    assert result.message == (
        f"refused: size {len(BODY)} bytes exceeds the limit of {len(BODY) - 1} bytes"
    )
    assert os.listdir(landing) == []


def test_size_limit_while_streaming_leaves_no_file(http, landing, sleeps):
    http.files["/big.json"] = Served(content_length=False)  # size unknown until received

    result = fetch(http, "/big.json", landing, sleeps, max_bytes=40_000)

    assert result.status == "failed"
    assert result.message == "refused: more than the limit of 40000 bytes received"
    assert os.listdir(landing) == []


def test_wrong_content_type_is_refused(http, landing, sleeps):
    http.files["/login"] = Served(content_type="text/html; charset=utf-8")

    result = fetch(http, "/login", landing, sleeps)

    assert (result.status, result.path) == ("failed", None)
    assert result.message == (
        "refused: content type 'text/html; charset=utf-8' is not an allowed dump type"
    )
    assert os.listdir(landing) == []


def test_server_error_then_success(http, landing, sleeps):
    http.files["/hn.json"] = Served(content_type="application/json", statuses=[500, 503])

    result = fetch(http, "/hn.json", landing, sleeps)

    assert (result.status, result.sha256) == ("downloaded", SHA)
    assert http.answers == [500, 503, 200]
    assert sleeps == [1.0, 2.0]


def test_client_error_fails_without_retry(http, landing, sleeps):
    result = fetch(http, "/missing.json", landing, sleeps)

    assert (result.status, result.message) == ("failed", "refused: HTTP 404 Not Found")
    assert sleeps == []
    assert os.listdir(landing) == []


def test_unchanged_etag_is_skipped(http, landing, sleeps):
    http.files["/RC.json"] = Served()
    fetch(http, "/RC.json", landing, sleeps)

    again = fetch(http, "/RC.json", landing, sleeps)

    assert http.requests[-1][1]["if-none-match"] == ETAG
    assert http.answers[-1] == 304
    assert (again.status, again.sha256, again.bytes) == ("skipped", SHA, len(BODY))
    assert again.path == str(landing / "RC.json")
    assert dumps_in(landing) == ["RC.json"]


def test_same_bytes_skipped_and_new_bytes_kept_beside(http, landing, sleeps):
    http.files["/export.json.gz"] = Served(content_type="application/gzip", etag=None)
    fetch(http, "/export.json.gz", landing, sleeps)

    same = fetch(http, "/export.json.gz", landing, sleeps)
    http.files["/export.json.gz"].body = b"corrected re-export\n"
    changed = fetch(http, "/export.json.gz", landing, sleeps)

    assert (same.status, same.path) == ("skipped", str(landing / "export.json.gz"))
    new_sha = hashlib.sha256(b"corrected re-export\n").hexdigest()
    assert changed.status == "downloaded"
    assert changed.path == str(landing / f"export__{new_sha[:12]}.json.gz")
    assert dumps_in(landing) == sorted(["export.json.gz", f"export__{new_sha[:12]}.json.gz"])
    assert (landing / "export.json.gz").read_bytes() == BODY


def test_signed_url_credentials_are_not_logged(http, landing, sleeps, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # Airflow's logging config sets it to WARN
    http.files["/d.json"] = Served(statuses=[502])
    secret = "c2VjcmV0LXNpZ25hdHVyZQ"

    result = fetch(http, f"/d.json?X-Amz-Signature={secret}&X-Amz-Date=20260124", landing, sleeps)

    assert result.status == "downloaded"
    assert result.url == http.url("/d.json?X-Amz-Signature=REDACTED&X-Amz-Date=20260124")
    assert "HTTP Request: GET" in caplog.text
    assert secret not in caplog.text


def test_non_http_url_is_refused(landing):
    (result,) = download_dumps(["file:///etc/passwd"], landing)
    assert (result.status, result.message) == ("failed", "not an http(s) URL")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("RC_2024-01.zst", "RC_2024-01.zst"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        ("..", None),
        (".hidden.json", "hidden.json"),
        ("a b;c.json", "a_b_c.json"),
        ("x.json.part", "x.json.part_"),
        ("", None),
    ],
)
def test_safe_name(raw, expected):
    assert safe_name(raw) == expected


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        ("application/json; charset=UTF-8", True),
        ("application/x-ndjson", True),
        ("Application/GZIP", True),
        ("application/vnd.api+json", True),
        (None, True),  # no header: octet-stream
        ("text/html", False),
        ("image/png", False),
    ],
)
def test_media_type_allowed(header, allowed):
    from comment_etl.sources.http_dump import ALLOWED_CONTENT_TYPES

    assert media_type_allowed(header, ALLOWED_CONTENT_TYPES) is allowed

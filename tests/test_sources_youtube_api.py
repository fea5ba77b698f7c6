"""YouTube Data API source against a recorded-style API served on 127.0.0.1 by the test."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from comment_etl.sources.retry import RetryPolicy
from comment_etl.sources.youtube_api import VideoResult, api_key_from_connection, scrape_videos

FIXTURES = Path(__file__).parent / "fixtures" / "sources" / "youtube_api"
API_KEY = "AIzaSyTEST-not-a-real-key_0123456789"
V1, V2 = "Xy3_kLm9QwE", "Pq7-RsT2uVb"
T1 = "UgzDE2tasfmrYLyNkGt4AaABAg"
THREADS_TOKEN, REPLIES_TOKEN = "QURTSl9pMlhfRjB1ZGN3cW1jUlE", "Z2V0UmVwbGllc1BhZ2Uy"
NOW = datetime(2026, 1, 24, 8, 45, 0, tzinfo=UTC)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Reply:
    status: int
    fixture: str
    delay: float = 0.0  # seconds before answering (to exceed the client timeout)


@dataclass
class FakeYouTube:
    """Canned answers per (endpoint, id, pageToken); the last answer of a list repeats."""

    base_url: str = ""
    routes: dict[tuple[str, str, str], list[Reply]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def threads(self, video_id: str, *replies: Reply, token: str = "") -> None:
        self.routes[("commentThreads", video_id, token)] = list(replies)

    def comments(self, parent_id: str, *replies: Reply, token: str = "") -> None:
        self.routes[("comments", parent_id, token)] = list(replies)

    def answer(self, path: str) -> tuple[Reply | None, dict[str, str]]:
        url = urlsplit(path)
        query = dict(parse_qsl(url.query))
        endpoint = url.path.removeprefix("/youtube/v3/")
        self.requests.append((endpoint, query))
        if query.get("key") != API_KEY:
            return Reply(400, "error_backend.json"), query
        ident = query.get("videoId") or query.get("parentId") or ""
        replies = self.routes.get((endpoint, ident, query.get("pageToken", "")))
        if not replies:
            return None, query
        return (replies.pop(0) if len(replies) > 1 else replies[0]), query


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        fake: FakeYouTube = self.server.fake  # type: ignore[attr-defined]
        reply, _ = fake.answer(self.path)
        if reply is None:
            reply = Reply(404, "error_video_not_found.json")
        if reply.delay:
            fake.release.wait(reply.delay)
        body = (FIXTURES / reply.fixture).read_bytes()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hanging up on a slow answer is expected


# Requests must go straight to the local server, never through an environment proxy.
pytestmark = pytest.mark.usefixtures("no_proxy")


@pytest.fixture
def youtube() -> Iterator[FakeYouTube]:
    fake = FakeYouTube()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_port}/youtube/v3"
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def scrape(youtube: FakeYouTube, landing: Path, sleeps: list[float], videos, **kwargs):
    kwargs.setdefault("timeout", 5.0)
    return scrape_videos(
        videos,
        landing,
        API_KEY,
        base_url=youtube.base_url,
        retry=RetryPolicy(attempts=3, base_delay=1.0, max_delay=10.0, sleep=sleeps.append),
        now=lambda: NOW,
        **kwargs,
    )


def serve_v1(youtube: FakeYouTube, second_page: Reply | None = None) -> None:
    """Video 1: two thread pages; thread T1 has 3 replies, 1 embedded, 3 more via comments.list."""
    youtube.threads(V1, Reply(200, "threads_Xy3_kLm9QwE_p1.json"))
    youtube.threads(
        V1, second_page or Reply(200, "threads_Xy3_kLm9QwE_p2.json"), token=THREADS_TOKEN
    )
    youtube.comments(T1, Reply(200, f"comments_{T1}_p1.json"))
    youtube.comments(T1, Reply(200, f"comments_{T1}_p2.json"), token=REPLIES_TOKEN)


def lines(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_bytes().splitlines()]


def visible(landing: Path) -> list[str]:
    return sorted(os.listdir(landing))


V1_FILE = "youtube_api__Xy3_kLm9QwE__20260124T084500Z.jsonl"
V2_FILE = "youtube_api__Pq7-RsT2uVb__20260124T084500Z.jsonl"


def test_pages_and_missing_replies_land_in_one_dump(youtube, tmp_path, sleeps):
    serve_v1(youtube)

    results = scrape(youtube, tmp_path, sleeps, [V1])

    assert results == [
        VideoResult(V1, "ok", pages=4, threads=3, path=str(tmp_path / V1_FILE), message="")
    ]
    # Raw API pages, one per line, in fetch order; the pretty-printed bodies became one line each.
    assert lines(tmp_path / V1_FILE) == [
        fixture("threads_Xy3_kLm9QwE_p1.json"),
        fixture(f"comments_{T1}_p1.json"),
        fixture(f"comments_{T1}_p2.json"),
        fixture("threads_Xy3_kLm9QwE_p2.json"),
    ]
    assert visible(tmp_path) == [V1_FILE]  # no .part left behind
    thread_params = {
        "part": "id,snippet,replies",
        "videoId": V1,
        "maxResults": "100",
        "textFormat": "plainText",
        "key": API_KEY,
    }
    reply_params = {
        "part": "snippet",
        "parentId": T1,
        "maxResults": "100",
        "textFormat": "plainText",
        "key": API_KEY,
    }
    # Only T1 needs comments.list: the thread without replies and the fully embedded one do not.
    assert youtube.requests == [
        ("commentThreads", thread_params),
        ("comments", reply_params),
        ("comments", {**reply_params, "pageToken": REPLIES_TOKEN}),
        ("commentThreads", {**thread_params, "pageToken": THREADS_TOKEN}),
    ]
    assert sleeps == []


def test_quota_exceeded_keeps_fetched_pages_and_stops_the_scrape(youtube, tmp_path, sleeps, caplog):
    serve_v1(youtube, second_page=Reply(403, "error_quota_exceeded.json"))
    youtube.threads(V2, Reply(200, "threads_Pq7-RsT2uVb.json"))

    first, second = scrape(youtube, tmp_path, sleeps, [V1, V2])

    assert (first.status, first.pages, first.threads, first.partial) == (
        "quota_exceeded",
        3,
        2,
        True,
    )
    assert first.path == str(tmp_path / V1_FILE)
    assert first.message.startswith("API quota exceeded after 3 page(s), scrape stopped")
    assert lines(first.path) == [
        fixture("threads_Xy3_kLm9QwE_p1.json"),
        fixture(f"comments_{T1}_p1.json"),
        fixture(f"comments_{T1}_p2.json"),
    ]
    assert second == VideoResult(
        V2, "quota_exceeded", message=f"not attempted: API quota exhausted while fetching {V1}"
    )
    assert [q.get("videoId") for e, q in youtube.requests if e == "commentThreads"] == [V1, V1]
    assert visible(tmp_path) == [V1_FILE]
    assert sleeps == []  # quota errors are not retried
    assert any(
        r.levelno == logging.ERROR and "quota exhausted while fetching Xy3_kLm9QwE" in r.message
        for r in caplog.records
    )


def test_server_error_is_retried_then_succeeds(youtube, tmp_path, sleeps):
    youtube.threads(V2, Reply(500, "error_backend.json"), Reply(200, "threads_Pq7-RsT2uVb.json"))

    [result] = scrape(youtube, tmp_path, sleeps, [V2])

    assert (result.status, result.pages, result.threads) == ("ok", 1, 1)
    assert lines(result.path) == [fixture("threads_Pq7-RsT2uVb.json")]
    assert len(youtube.requests) == 2
    assert sleeps == [1.0]


def test_slow_response_beyond_timeout_is_retried(youtube, tmp_path, sleeps):
    youtube.threads(
        V2,
        Reply(200, "threads_Pq7-RsT2uVb.json", delay=5.0),
        Reply(200, "threads_Pq7-RsT2uVb.json"),
    )

    [result] = scrape(youtube, tmp_path, sleeps, [V2], timeout=0.2)

    assert (result.status, result.pages, result.path) == ("ok", 1, str(tmp_path / V2_FILE))
    assert len(youtube.requests) == 2
    assert sleeps == [1.0]


def test_exhausted_retries_keep_fetched_pages_as_partial(youtube, tmp_path, sleeps):
    serve_v1(youtube)
    youtube.comments(T1, Reply(503, "error_backend.json"))  # replies of T1 never come back

    [result] = scrape(youtube, tmp_path, sleeps, [V1])

    assert (result.status, result.pages, result.partial) == ("partial", 1, True)
    assert "gave up after 3 attempts" in result.message
    assert lines(result.path) == [fixture("threads_Xy3_kLm9QwE_p1.json")]
    assert sleeps == [1.0, 2.0]  # exponential backoff between the three attempts


def test_replies_of_a_vanished_thread_are_skipped_not_fatal(youtube, tmp_path, sleeps):
    serve_v1(youtube)
    youtube.comments(T1, Reply(404, "error_comment_not_found.json"))  # thread deleted

    [result] = scrape(youtube, tmp_path, sleeps, [V1])

    assert (result.status, result.pages, result.threads) == ("partial", 2, 3)
    assert (result.message, result.partial) == ("replies missing for 1 thread(s)", True)
    assert lines(result.path) == [
        fixture("threads_Xy3_kLm9QwE_p1.json"),
        fixture("threads_Xy3_kLm9QwE_p2.json"),
    ]


def test_exhausted_retries_on_first_page_fail_without_file(youtube, tmp_path, sleeps):
    youtube.threads(V2, Reply(500, "error_backend.json"))

    [result] = scrape(youtube, tmp_path, sleeps, [V2])

    assert (result.status, result.pages, result.path) == ("failed", 0, None)
    assert visible(tmp_path) == []


def test_disabled_and_missing_videos_do_not_stop_the_others(youtube, tmp_path, sleeps):
    youtube.threads("C0mmentsOff", Reply(403, "error_comments_disabled.json"))
    youtube.threads("Nn0tF0und00", Reply(404, "error_video_not_found.json"))
    youtube.threads(V2, Reply(200, "threads_Pq7-RsT2uVb.json"))

    results = scrape(youtube, tmp_path, sleeps, ["C0mmentsOff", "Nn0tF0und00", V2])

    assert [(r.video_id, r.status, r.pages, r.path) for r in results] == [
        ("C0mmentsOff", "comments_disabled", 0, None),
        ("Nn0tF0und00", "not_found", 0, None),
        (V2, "ok", 1, str(tmp_path / V2_FILE)),
    ]
    assert "commentsDisabled" in results[0].message
    assert "videoNotFound" in results[1].message
    assert visible(tmp_path) == [V2_FILE]
    assert sleeps == []


def test_api_key_never_logged_nor_written(youtube, tmp_path, sleeps, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # Airflow's logging config sets it to WARN
    youtube.threads(V2, Reply(500, "error_backend.json"), Reply(200, "threads_Pq7-RsT2uVb.json"))
    youtube.threads("Nn0tF0und00", Reply(404, "error_video_not_found.json"))
    youtube.threads(V1, Reply(403, "error_quota_exceeded.json"))

    results = scrape(youtube, tmp_path, sleeps, [V2, "Nn0tF0und00", V1])

    assert [r.status for r in results] == ["ok", "not_found", "quota_exceeded"]
    assert "HTTP Request: GET" in caplog.text  # httpx did log the request URLs ...
    assert "key=REDACTED" in caplog.text  # ... with the key redacted
    assert API_KEY not in caplog.text
    assert API_KEY not in repr(results)
    for path in tmp_path.rglob("*"):
        assert API_KEY.encode() not in path.read_bytes()


def test_invalid_video_id_is_refused_without_a_request(youtube, tmp_path, sleeps):
    [result] = scrape(youtube, tmp_path, sleeps, ["../../etc/x"])

    assert result == VideoResult("../../etc/x", "failed", message="not a YouTube video id")
    assert youtube.requests == []


def test_two_fetches_in_the_same_second_get_distinct_files(youtube, tmp_path, sleeps):
    youtube.threads(V2, Reply(200, "threads_Pq7-RsT2uVb.json"))

    first = scrape(youtube, tmp_path, sleeps, [V2])[0].path
    second = scrape(youtube, tmp_path, sleeps, [V2])[0].path

    assert Path(first).name == V2_FILE
    assert Path(second).name == "youtube_api__Pq7-RsT2uVb__20260124T084500Z-2.jsonl"


def test_empty_api_key_is_refused(tmp_path):
    with pytest.raises(ValueError, match="API key is required"):
        scrape_videos([V2], tmp_path, "", base_url="http://127.0.0.1:9/youtube/v3")


def test_api_key_from_connection_password_json_form(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_YOUTUBE_API", json.dumps({"conn_type": "generic", "password": "k-json"})
    )
    assert api_key_from_connection("youtube_api") == "k-json"


def test_api_key_from_connection_extra_uri_form(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_YOUTUBE_API_URI", "generic://?api_key=k-uri%2B1")
    assert api_key_from_connection("youtube_api_uri") == "k-uri+1"


def test_api_key_from_connection_without_key(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_YOUTUBE_API_NOKEY", "generic://example.com")
    with pytest.raises(ValueError, match="has no YouTube API key"):
        api_key_from_connection("youtube_api_nokey")

"""The scrapers inside the real DAG: a YouTube Data API and a dump URL served on 127.0.0.1.

The API key comes from an Airflow Connection (`AIRFLOW_CONN_YOUTUBE_API`), a disabled video is
reported without failing the run, and the scraped files load like dropped ones.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import FIXTURES
from tests.dag_runner import run_dag, task_states
from tests.test_dag_daily import query

API = FIXTURES / "sources" / "youtube_api"
YTCD = FIXTURES / "daily" / "Xk3vTq9LmPw.jsonl"
API_KEY = "AIzaTEST-key-that-must-never-be-logged"

pytestmark = pytest.mark.usefixtures("airflow_db")


class _Handler(BaseHTTPRequestHandler):
    seen_keys: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query_args = parse_qs(url.query)
        if url.path == "/dumps/Xk3vTq9LmPw.jsonl":
            self._send(200, YTCD.read_bytes(), "application/x-ndjson")
            return
        if url.path == "/youtube/v3/commentThreads":
            _Handler.seen_keys.append(query_args.get("key", [""])[0])
            video = query_args.get("videoId", [""])[0]
            if video == "Pq7-RsT2uVb":
                self._send(200, (API / "threads_Pq7-RsT2uVb.json").read_bytes())
            else:
                self._send(403, (API / "error_comments_disabled.json").read_bytes())
            return
        self._send(404, b"{}")

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def local_server(no_proxy: None) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_scraped_sources_load_and_a_disabled_video_is_reported(
    pipeline_env, local_server, monkeypatch, caplog
):
    monkeypatch.setenv("AIRFLOW_CONN_YOUTUBE_API", json.dumps({"password": API_KEY}))
    monkeypatch.setenv("COMMENTS_YOUTUBE_API_URL", f"{local_server}/youtube/v3")
    monkeypatch.setenv("COMMENTS_YOUTUBE_VIDEO_IDS", "Pq7-RsT2uVb, Dis4bledVid")
    monkeypatch.setenv("COMMENTS_DUMP_URLS", f"{local_server}/dumps/Xk3vTq9LmPw.jsonl")

    dag_run = run_dag(datetime(2026, 11, 23, tzinfo=UTC))
    states = task_states(dag_run)
    assert str(dag_run.state) == "success", states
    assert states["fetch_sources"] == "success"
    assert _Handler.seen_keys and set(_Handler.seen_keys) == {API_KEY}

    landing: Path = pipeline_env["landing"]
    names = sorted(p.name for p in landing.iterdir() if not p.name.startswith("."))
    assert names[0] == "Xk3vTq9LmPw.jsonl"
    assert names[1].startswith("youtube_api__Pq7-RsT2uVb__") and len(names) == 2

    wh = pipeline_env["warehouse"]
    formats = dict(query(wh, "select format, rows_loaded from staging.load_ledger"))
    assert formats == {"ytcd": 5, "youtube_api": 1}
    assert query(wh, "select count(*) from staging.comments where content_id = 'Pq7-RsT2uVb'") == [
        (1,)
    ]
    assert "Dis4bledVid: comments_disabled" in caplog.text
    assert API_KEY not in caplog.text

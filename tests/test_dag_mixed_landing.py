"""One `comments_daily` run over a landing folder mixing every format and the bad-input corpus.

Exact counts: every good record lands in staging, every bad record or file is in
`staging.rejects` and the ledger says why; nothing is lost, nothing is loaded twice.
The per-file numbers follow from the fixtures (see the format tests that pin each one).
"""

from __future__ import annotations

import gzip
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zstandard

from tests.conftest import FIXTURES, SEED_PAGE
from tests.dag_runner import run_dag, task_states
from tests.test_dag_daily import query

FORMATS = FIXTURES / "formats"
pytestmark = pytest.mark.usefixtures("airflow_db")

# file in landing -> (ledger status, comments loaded, rows rejected)
EXPECTED = {
    "perseverance_landing_page.txt": ("loaded", 12, 0),
    "jNQXAC9IVRw.jsonl.gz": ("loaded", 4, 0),  # ytcd JSON lines, gzip
    "9bZkp7q19f0.json": ("loaded", 2, 1),  # ytcd --pretty, one 'text' is not a string
    "youtube_api__page.json.zst": ("loaded", 5, 0),  # commentThreads page, zstd
    "youtube_api__pages.jsonl": ("loaded", 4, 2),  # pages as JSON lines, 2 bad records
    "RC_2025-01_sample.ndjson.zst": ("loaded", 6, 2),  # Reddit, type drift, zstd
    "thread_8863.json": ("loaded", 5, 0),  # HN bundle
    "hn_items.jsonl": ("loaded", 4, 3),  # HN items, 3 bad lines
    "Youtube01-Psy.csv": ("loaded", 6, 3),  # UCI-style CSV, 3 bad rows
    "dupes/Dupl1cat3Id.jsonl": ("loaded", 2, 1),  # one comment id twice in a file
    "chat_export.csv": ("failed", 0, 1),  # no id column under the default mapping
    "truncated.jsonl.gz": ("failed", 0, 1),
    "truncated.ndjson.zst": ("failed", 0, 1),
    "empty.jsonl": ("failed", 0, 1),
    "binary.bin": ("failed", 0, 1),
    "notes.txt": ("failed", 0, 1),  # text, but no format matches
    "not_a_file.jsonl": ("failed", 0, 1),  # a directory
    "escape.jsonl": ("failed", 0, 1),  # a symlink out of the landing folder
}


def build_landing(landing: Path, outside: Path) -> None:
    shutil.copy(SEED_PAGE, landing)
    shutil.copy(SEED_PAGE, landing / "resaved_page.txt")  # same bytes: loaded once
    ytcd = (FORMATS / "ytcd" / "jNQXAC9IVRw.jsonl").read_bytes()
    (landing / "jNQXAC9IVRw.jsonl.gz").write_bytes(gzip.compress(ytcd))
    shutil.copy(FORMATS / "ytcd" / "pretty" / "9bZkp7q19f0.json", landing)
    zstd = zstandard.ZstdCompressor(level=3)
    api_page = (FORMATS / "youtube_api" / "page.json").read_bytes()
    (landing / "youtube_api__page.json.zst").write_bytes(zstd.compress(api_page))
    shutil.copy(FORMATS / "youtube_api" / "pages.jsonl", landing / "youtube_api__pages.jsonl")
    reddit = (FORMATS / "reddit" / "RC_2025-01_sample.ndjson").read_bytes()
    (landing / "RC_2025-01_sample.ndjson.zst").write_bytes(zstd.compress(reddit))
    shutil.copy(FORMATS / "hackernews" / "thread_8863.json", landing)
    shutil.copy(FORMATS / "hackernews" / "items.jsonl", landing / "hn_items.jsonl")
    shutil.copy(FORMATS / "csv" / "Youtube01-Psy.csv", landing)
    shutil.copy(FORMATS / "csv" / "chat_export.csv", landing)
    (landing / "dupes").mkdir()
    lines = ytcd.splitlines()
    (landing / "dupes" / "Dupl1cat3Id.jsonl").write_bytes(
        b"\n".join([lines[0], lines[1], lines[0]])
    )
    (landing / "truncated.jsonl.gz").write_bytes(gzip.compress(ytcd * 50)[:-30])
    (landing / "truncated.ndjson.zst").write_bytes(zstd.compress(reddit * 50)[:-30])
    (landing / "empty.jsonl").write_bytes(b"")
    (landing / "binary.bin").write_bytes(bytes(range(256)) * 40)
    (landing / "notes.txt").write_text("meeting notes\nnothing to see here\n")
    (landing / "not_a_file.jsonl").mkdir()
    secret = outside / "secret.jsonl"
    secret.write_bytes(ytcd)
    os.symlink(secret, landing / "escape.jsonl")
    (landing / ".youtube_api__x.jsonl.part").write_bytes(b"{half a download")  # ignored


def test_mixed_landing_folder_exact_counts(pipeline_env, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    build_landing(pipeline_env["landing"], outside)

    dag_run = run_dag(datetime(2026, 11, 22, tzinfo=UTC))
    states = task_states(dag_run)
    assert str(dag_run.state) == "success", states
    parse_states = {state for task, state in states.items() if task.startswith("parse[")}
    assert parse_states == {"success"}
    assert len([t for t in states if t.startswith("parse[")]) == len(EXPECTED)

    wh = pipeline_env["warehouse"]
    ledger = {
        row[0]: tuple(row[1:])
        for row in query(
            wh, "select source_file, status, rows_loaded, rows_rejected from staging.load_ledger"
        )
    }
    assert ledger == EXPECTED

    per_file = dict(
        query(wh, "select source_file, count(*) from staging.comments group by source_file")
    )
    assert per_file == {name: n for name, (_, n, _) in EXPECTED.items() if n}
    rejects = dict(
        query(wh, "select source_file, count(*) from staging.rejects group by source_file")
    )
    assert rejects == {name: r for name, (_, _, r) in EXPECTED.items() if r}
    file_level = query(wh, "select count(*) from staging.rejects where record_number is null")
    assert file_level == [(8,)]
    assert query(
        wh, "select count(*) from staging.rejects where reason = '' or reason is null"
    ) == [(0,)]
    duplicate = query(
        wh, "select record_number, reason from staging.rejects where source_file like 'dupes/%'"
    )
    assert duplicate[0][0] == 3 and "duplicate comment_id" in duplicate[0][1]
    assert query(wh, "select count(*) from staging.comments where source_file like 'trunc%'") == [
        (0,)
    ]

    # Every platform reached the marts; one row per comment even where dumps overlap.
    bi = pipeline_env["snapshot"]
    platforms = dict(query(bi, "select platform, count(*) from marts.fct_comments group by 1"))
    assert set(platforms) == {"web", "youtube", "reddit", "hackernews", "csv"}
    distinct = query(
        wh,
        "select count(*) from (select distinct platform, content_id, comment_id "
        "from staging.comments)",
    )
    assert query(bi, "select count(*) from marts.fct_comments") == distinct

    # The same day again: nothing new anywhere.
    before = query(wh, "select count(*) from staging.comments")
    assert str(run_dag(datetime(2026, 11, 22, tzinfo=UTC)).state) == "success"
    assert query(wh, "select count(*) from staging.comments") == before
    assert len(query(wh, "select * from staging.load_ledger")) == len(EXPECTED)

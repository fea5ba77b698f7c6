"""What the warehouse keeps: the newest observation, user text as written (and the original
record), hostile text as plain data, and nothing half-loaded after a killed load."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from comment_etl.config import REPO_ROOT
from tests.reliability.helpers import counts, make_settings, query, run_steps, write_reddit

VIDEO = "dQw4w9WgXcQ"
#: User text that normalization must not touch.
AS_WRITTEN = {
    "zwj_family": "family 👨\u200d👩\u200d👧 and flag 🏳\ufe0f\u200d🌈",
    "zwnj_persian": "من می\u200cخواهم بروم",
    "devanagari": "क्\u200dष and क्ष are written differently",
    "sql": "'); drop table staging.comments; --",
    "jinja": "{{ run_query('drop schema marts cascade') }} {% raise %}",
    "ansi": "\x1b[31mred alert\x1b[0m \x1b]0;title\x07",
    "script": "<script>alert(document.cookie)</script>",
}


def ytcd_dump(path: Path, votes: dict[str, str], mtime: float) -> None:
    lines = [
        json.dumps({"cid": cid, "text": f"comment {cid}", "votes": v, "author": "@a"})
        for cid, v in votes.items()
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(path, (mtime, mtime))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One run of discover -> parse -> load -> dbt build -> publish over a hostile landing."""
    root = tmp_path_factory.mktemp("data")
    settings = make_settings(root)
    now = time.time()
    # Two re-exports of one video loaded in one run; the OLDER one sorts first by name.
    ytcd_dump(
        settings.landing_dir / "a_export" / f"{VIDEO}.jsonl", {"c1": "1", "c2": "2"}, now - 86400
    )
    ytcd_dump(
        settings.landing_dir / "b_export" / f"{VIDEO}.jsonl", {"c1": "10", "c2": "20"}, now - 60
    )
    records = [
        {
            "id": name,
            "body": text,
            "author": "someone",
            "created_utc": 1735689600,
            "link_id": "t3_post1",
            "parent_id": "t3_post1",
            "score": 3,
            "subreddit": "test",
            "gilded": 0,
            "some_future_field": {"nested": [1, 2]},
        }
        for name, text in AS_WRITTEN.items()
    ]
    reddit = settings.landing_dir / "RC_text.ndjson"
    reddit.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    before = counts(settings.warehouse)
    summary = run_steps(settings, "run1", build=True)
    return settings, before, summary, records


def test_the_newest_reexport_wins_in_one_run(built):
    settings, before, summary, _ = built
    assert before["comments"] == 0
    assert summary["files_loaded"] == 3
    assert query(
        settings.warehouse,
        "select count(*) from staging.comments where content_id = ?",
        [VIDEO],
    ) == [(4,)]
    assert query(
        settings.warehouse,
        "select comment_id, like_count, source_file from marts.fct_comments "
        "where content_id = ? order by comment_id",
        [VIDEO],
    ) == [
        ("c1", 10, f"b_export/{VIDEO}.jsonl"),
        ("c2", 20, f"b_export/{VIDEO}.jsonl"),
    ]


def test_user_text_is_kept_as_written_and_the_record_is_recoverable(built):
    settings, _, _, records = built
    staged = dict(
        query(
            settings.warehouse,
            "select comment_id, text from staging.comments where platform = 'reddit'",
        )
    )
    marts = dict(
        query(
            settings.warehouse,
            "select comment_id, comment_text from marts.fct_comments where platform = 'reddit'",
        )
    )
    assert staged == AS_WRITTEN
    assert marts == AS_WRITTEN
    raw = dict(
        query(
            settings.warehouse,
            "select comment_id, raw from staging.comments where platform = 'reddit'",
        )
    )
    assert {name: json.loads(value) for name, value in raw.items()} == {
        record["id"]: record for record in records
    }


def test_hostile_text_is_data_not_code(built):
    settings, _, summary, _ = built
    assert (summary["comments"], summary["rejects"]) == (4 + len(AS_WRITTEN), 0)
    assert counts(settings.warehouse) == {
        "comments": 4 + len(AS_WRITTEN),
        "contents": 3,
        "rejects": 0,
        "load_ledger": 3,
    }
    assert query(settings.warehouse, "select count(*) from marts.fct_comments") == [
        (2 + len(AS_WRITTEN),)
    ]
    snapshot = query(settings.bi_snapshot, "select count(*) from marts.fct_comments")
    assert snapshot == [(2 + len(AS_WRITTEN),)]


KILL_MID_LOAD = """
import os, signal, sys
from pathlib import Path
from comment_etl.warehouse import load

original = load._load_parsed
done = []

def then_die(*args, **kwargs):
    result = original(*args, **kwargs)
    done.append(1)
    if len(done) == 2:  # two of three files inserted, the transaction still open
        os.kill(os.getpid(), signal.SIGKILL)
    return result

load._load_parsed = then_die
from tests.reliability.helpers import make_settings, run_steps
run_steps(make_settings(Path(sys.argv[1])), "run1")
"""


def test_sigkill_mid_load_leaves_nothing_and_the_rerun_loads_once(tmp_path):
    settings = make_settings(tmp_path)
    for name, n in (("RC_a.ndjson", 10), ("RC_b.ndjson", 20), ("RC_c.ndjson", 30)):
        write_reddit(settings.landing_dir / name, n, prefix=name[3])
    assert counts(settings.warehouse)["comments"] == 0

    killed = subprocess.run(
        [sys.executable, "-c", KILL_MID_LOAD, str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert counts(settings.warehouse) == {
        "comments": 0,
        "contents": 0,
        "rejects": 0,
        "load_ledger": 0,
    }
    summary = run_steps(settings, "run1")  # the retry
    assert (summary["files_loaded"], summary["comments"]) == (3, 60)
    assert run_steps(settings, "run2")["comments"] == 0  # and again: nothing twice
    assert counts(settings.warehouse) == {
        "comments": 60,
        "contents": 3,
        "rejects": 0,
        "load_ledger": 3,
    }

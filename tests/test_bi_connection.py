"""The BI connection the README documents, for real: duckdb-engine through SQLAlchemy, read-only.

A separate reader process (as a Superset / Metabase worker would be) connects with the README's
URL in a loop, lists the marts through SQLAlchemy's inspector and counts each one, while
`comments_daily` loads a new dump and publishes a new snapshot. The run must stay green (the
reader never blocks the writer), the reader must never fail, and it must see the new data after
reconnecting.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import FIXTURES, SEED_PAGE
from tests.dag_runner import run_dag, task_states

pytestmark = pytest.mark.usefixtures("airflow_db")

MARTS = {
    "fct_content_topics",
    "dim_contents",
    "fct_engagement_by_content",
    "fct_engagement_daily",
    "fct_comments",
    "fct_language_confidence",
    "fct_language_mix",
    "fct_moments",
    "fct_sentiment_by_content",
    "fct_theme_summary",
}

READER = """
import json, sys, time
from pathlib import Path
import sqlalchemy as sa

url, stop = sys.argv[1], Path(sys.argv[2])
while not stop.exists():
    round_ = {"t": time.time()}
    try:
        engine = sa.create_engine(url)
        with engine.connect() as con:
            tables = sa.inspect(con).get_table_names(schema="marts")
            round_["counts"] = {
                t: con.execute(sa.text(f'select count(*) from marts."{t}"')).scalar_one()
                for t in tables
            }
        engine.dispose()
    except Exception as exc:  # reported, the test fails on it
        round_["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(round_), flush=True)
    time.sleep(0.2)
"""


def readme_url(snapshot: Path) -> str:
    """The SQLAlchemy URL exactly as README.md documents it, with this test's absolute path."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    template = "duckdb:////abs/path/comments_bi.duckdb?access_mode=read_only"
    assert template in readme, "README's SQLAlchemy URL changed: update this test"
    return template.replace("/abs/path/comments_bi.duckdb", str(snapshot.resolve()))


def test_sqlalchemy_reader_during_a_publishing_run(pipeline_env, tmp_path: Path):
    shutil.copy(SEED_PAGE, pipeline_env["landing"])
    first = run_dag(datetime(2026, 11, 20, tzinfo=UTC))
    assert str(first.state) == "success", task_states(first)

    url = readme_url(pipeline_env["snapshot"])
    # Read-only for real: the URL refuses a write.
    engine = sa.create_engine(url)
    with engine.connect() as con, pytest.raises(sa.exc.DBAPIError, match="read-only"):
        con.execute(sa.text("create table marts.bi_write_attempt (x int)"))
    engine.dispose()

    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, url, str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2)  # the reader is connected and looping before the run starts
        shutil.copy(FIXTURES / "daily" / "Xk3vTq9LmPw.jsonl", pipeline_env["landing"])
        second = run_dag(datetime(2026, 11, 21, tzinfo=UTC))
        states = task_states(second)
        time.sleep(2)  # a few rounds after the publish
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)

    assert str(second.state) == "success", states
    assert states["publish"] == "success", states
    rounds = [json.loads(line) for line in out.splitlines() if line.strip()]
    errors = [r["error"] for r in rounds if "error" in r]
    assert errors == [], errors[:3]
    assert reader.returncode == 0, err[-2000:]
    assert len(rounds) >= 10, rounds
    assert all(set(r["counts"]) == MARTS for r in rounds), rounds[0]
    seen = [r["counts"]["fct_comments"] for r in rounds]
    assert seen[0] == 12 and seen[-1] == 17, seen  # before, then after the publish

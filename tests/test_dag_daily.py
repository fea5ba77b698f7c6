"""The real `comments_daily` DAG via `dag.test()`: real DuckDB files, a real dbt build."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES, SEED_PAGE
from tests.dag_runner import run_dag, task_states

YTCD_DUMP = FIXTURES / "daily" / "Xk3vTq9LmPw.jsonl"
DAY1 = datetime(2026, 11, 20, tzinfo=UTC)
DAY2 = datetime(2026, 11, 21, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("airflow_db")


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def table_counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('staging', 'marts') and table_type = 'BASE TABLE'"
        ).fetchall()
        return {
            f"{schema}.{name}": con.execute(f'select count(*) from {schema}."{name}"').fetchone()[0]
            for schema, name in tables
        }
    finally:
        con.close()


def assert_success(dag_run, built: bool = True) -> None:
    """Green, with dbt and publish run (`built`) or skipped because nothing was new."""
    states = task_states(dag_run)
    assert str(dag_run.state) == "success", states
    assert states["load_staging"] == "success", states
    assert states["report"] == "success", states
    expected = "success" if built else "skipped"
    assert states["dbt_build"] == states["publish"] == expected, states


def asset_events() -> int:
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    with create_session() as session:
        return session.query(AssetEvent).count()


def test_seed_page_lands_in_every_mart(pipeline_env):
    shutil.copy(SEED_PAGE, pipeline_env["landing"])
    assert_success(run_dag(DAY1))

    wh = pipeline_env["warehouse"]
    assert query(wh, "select count(*) from staging.contents") == [(1,)]
    assert query(wh, "select count(*) from staging.comments") == [(12,)]
    assert query(
        wh, "select status, rows_loaded, rows_rejected, format from staging.load_ledger"
    ) == [("loaded", 12, 0, "page_text")]
    # The page has no dates, authors or likes: they stay NULL, never invented.
    assert query(
        wh,
        "select count(*) from staging.comments where published_at is not null "
        "or author_name is not null or like_count is not null",
    ) == [(0,)]

    bi = pipeline_env["snapshot"]
    title = query(bi, "select title from marts.dim_contents")[0][0]
    assert title.startswith("Perseverance Rover’s Descent and Touchdown on Mars")
    assert query(bi, "select count(*) from marts.fct_comments") == [(12,)]
    assert query(bi, "select language, comments from marts.fct_language_mix order by language") == [
        ("de", 1),
        ("en", 11),
    ]
    engagement = query(
        bi,
        "select comments, top_level_comments, replies, unique_authors, first_comment_at "
        "from marts.fct_engagement_by_content",
    )
    assert engagement == [(12, 12, 0, None, None)]
    assert query(bi, "select count(*) from marts.fct_engagement_daily") == [(0,)]
    themed = query(bi, "select count(*) from marts.fct_comments where theme_count > 0")[0][0]
    assert themed >= 9, f"only {themed} of 12 comments got a theme"
    german = query(bi, "select themes from marts.fct_comments where language = 'de'")[0][0]
    assert "cost_money" in german
    themes = {row[0] for row in query(bi, "select theme from marts.fct_theme_summary")}
    assert {"cost_money", "conspiracy_skepticism"} <= themes

    # The asset event carries the rows per mart.
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    with create_session() as session:
        event = session.query(AssetEvent).order_by(AssetEvent.id.desc()).first()
        assert event is not None
        assert event.extra["rows"]["fct_comments"] == 12
        assert event.extra["rows"]["dim_contents"] == 1

    # What `make demo` prints at the end.
    from comment_etl.summary import render

    printed = render(bi)
    assert "Contents: 1\n" in printed
    assert "languages: en 11, de 1" in printed
    assert f"comments: 12 (0 replies), {themed} with a theme (spam excluded)" in printed


def test_rerun_changes_nothing_and_a_new_dump_loads_alone(pipeline_env):
    shutil.copy(SEED_PAGE, pipeline_env["landing"])
    assert_success(run_dag(DAY1))
    first = table_counts(pipeline_env["warehouse"])

    events = asset_events()
    assert_success(run_dag(DAY1), built=False)  # the same day again: nothing new
    assert table_counts(pipeline_env["warehouse"]) == first
    assert asset_events() == events  # no asset event for a run that published nothing

    shutil.copy(YTCD_DUMP, pipeline_env["landing"])
    assert_success(run_dag(DAY2))
    wh = pipeline_env["warehouse"]
    ledger = query(wh, "select source_file, rows_loaded from staging.load_ledger order by 1")
    assert ledger == [("Xk3vTq9LmPw.jsonl", 5), ("perseverance_landing_page.txt", 12)]
    cache = query(
        wh,
        "select count(*), count(distinct (detector, text_hash)), count(distinct load_id) "
        "from staging.language_cache",
    )
    assert cache[0][0] == cache[0][1] >= 12  # every text labelled once, no duplicates
    assert cache[0][2] == 2
    loads = query(wh, "select count(distinct load_id) from staging.comments")
    assert loads == [(2,)]
    assert query(wh, "select count(*) from staging.comments where content_id = 'Xk3vTq9LmPw'") == [
        (5,)
    ]
    bi = pipeline_env["snapshot"]
    assert query(bi, "select count(*) from marts.fct_comments") == [(17,)]
    replies = query(
        bi,
        "select replies, likes_total from marts.fct_engagement_by_content "
        "where content_id = 'Xk3vTq9LmPw'",
    )
    assert replies == [(2, 1200 + 14 + 87 + 0)]


def test_bad_input_is_quarantined_and_good_records_still_load(pipeline_env):
    landing = pipeline_env["landing"]
    shutil.copy(SEED_PAGE, landing)
    lines = YTCD_DUMP.read_text().splitlines()
    broken = [lines[0], '{"cid": "Ugbroken", "text": "unterminated', lines[3], "not json at all"]
    (landing / "Ab1Cd2Ef3Gh.jsonl").write_text("\n".join(broken) + "\n")
    truncated = gzip.compress(YTCD_DUMP.read_bytes())[:-40]
    (landing / "Zz9Yy8Xx7Ww.jsonl.gz").write_bytes(truncated)

    assert_success(run_dag(DAY1))
    wh = pipeline_env["warehouse"]
    ledger = dict(query(wh, "select source_file, status from staging.load_ledger"))
    assert ledger == {
        "perseverance_landing_page.txt": "loaded",
        "Ab1Cd2Ef3Gh.jsonl": "loaded",
        "Zz9Yy8Xx7Ww.jsonl.gz": "failed",
    }
    rejects = query(
        wh, "select source_file, record_number from staging.rejects order by 1, 2 nulls first"
    )
    assert rejects == [
        ("Ab1Cd2Ef3Gh.jsonl", 2),
        ("Ab1Cd2Ef3Gh.jsonl", 4),
        ("Zz9Yy8Xx7Ww.jsonl.gz", None),
    ]
    assert query(wh, "select count(*) from staging.comments") == [(12 + 2,)]
    assert query(wh, "select count(*) from staging.comments where source_file like 'Zz9%'") == [
        (0,)
    ]


READER = textwrap.dedent(
    """
    import sys, time, duckdb
    path, ready, release = sys.argv[1:4]
    con = duckdb.connect(path, read_only=True)
    before = con.execute("select count(*) from marts.fct_comments").fetchone()[0]
    open(ready, "w").write(str(before))
    deadline = time.time() + 600
    while not __import__("os").path.exists(release) and time.time() < deadline:
        con.execute("select count(*) from marts.fct_comments").fetchone()
        time.sleep(0.05)
    during = con.execute("select count(*) from marts.fct_comments").fetchone()[0]
    con.close()
    con = duckdb.connect(path, read_only=True)
    after = con.execute("select count(*) from marts.fct_comments").fetchone()[0]
    print(before, during, after)
    """
)


def test_bi_reader_on_the_snapshot_does_not_block_a_run(pipeline_env, tmp_path):
    shutil.copy(SEED_PAGE, pipeline_env["landing"])
    assert_success(run_dag(DAY1))

    ready, release = tmp_path / "ready", tmp_path / "release"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(pipeline_env["snapshot"]), str(ready), str(release)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):
            if ready.exists() or reader.poll() is not None:
                break
            time.sleep(0.05)
        assert ready.read_text() == "12"
        shutil.copy(YTCD_DUMP, pipeline_env["landing"])
        assert_success(run_dag(DAY2))
    finally:
        release.write_text("go")
        out, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0
    before, during, after = (int(x) for x in out.split())
    assert (before, during, after) == (12, 12, 17)


def test_days_mean_days_and_a_backfill_equals_one_run_over_all_files(
    pipeline_env, tmp_path, monkeypatch
):
    """Dated folders load with their day; three days one by one == one run over everything."""
    landing = pipeline_env["landing"]
    days = [datetime(2026, 11, d, tzinfo=UTC) for d in (10, 11, 12)]
    lines = YTCD_DUMP.read_text().splitlines()
    for day, chunk in zip(days, (lines[:2], lines[2:4], lines[4:]), strict=True):
        folder = landing / day.date().isoformat()
        folder.mkdir()
        (folder / "Xk3vTq9LmPw.jsonl").write_text("\n".join(chunk) + "\n")
    shutil.copy(SEED_PAGE, landing)  # undated: taken by the first run

    loaded_per_day = []
    for day in days:
        assert_success(run_dag(day))
        loaded = query(
            pipeline_env["warehouse"],
            "select source_file from staging.load_ledger "
            "where loaded_at = (select max(loaded_at) from staging.load_ledger)",
        )
        loaded_per_day.append(sorted(name for (name,) in loaded))
    assert loaded_per_day == [
        ["2026-11-10/Xk3vTq9LmPw.jsonl", "perseverance_landing_page.txt"],
        ["2026-11-11/Xk3vTq9LmPw.jsonl"],
        ["2026-11-12/Xk3vTq9LmPw.jsonl"],
    ]
    day_by_day = mart_rows(pipeline_env["snapshot"])

    # The same files, one run (a day after all of them), in a fresh warehouse.
    other = tmp_path / "all-at-once"
    shutil.copytree(landing, other / "landing")
    for name, path in (
        ("COMMENTS_LANDING_DIR", other / "landing"),
        ("COMMENTS_WAREHOUSE", other / "comments.duckdb"),
        ("COMMENTS_BI_SNAPSHOT", other / "comments_bi.duckdb"),
    ):
        monkeypatch.setenv(name, str(path))
    assert_success(run_dag(datetime(2026, 11, 13, tzinfo=UTC)))
    assert mart_rows(other / "comments_bi.duckdb") == day_by_day
    assert day_by_day["fct_comments"] and len(day_by_day["fct_comments"]) == 12 + 5


def test_a_day_does_not_take_later_days(pipeline_env):
    later = pipeline_env["landing"] / "2026-11-25"
    later.mkdir()
    shutil.copy(SEED_PAGE, later)
    assert_success(run_dag(DAY1))  # 2026-11-20: the 25th's folder waits
    assert query(pipeline_env["warehouse"], "select count(*) from staging.load_ledger") == [(0,)]


def mart_rows(snapshot: Path) -> dict[str, list[tuple]]:
    """Every row of every mart, sorted, without load-time columns (load ids differ)."""
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        out = {}
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_type = 'BASE TABLE' order by 1"
        ).fetchall()
        for (table,) in tables:
            columns = [
                name
                for (name,) in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                if not any(word in name for word in ("load_id", "loaded_at", "ingested_at"))
                and not name.endswith("_at_load")
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'select {select} from marts."{table}"').fetchall()
            out[table] = sorted(rows, key=repr)
        return out
    finally:
        con.close()

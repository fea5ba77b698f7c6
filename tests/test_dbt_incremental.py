"""Incremental marts equal a full rebuild: real dumps, the real loader, real `dbt build`.

Three days of Reddit dumps go through the pipeline's own steps (discover, parse, load, then
`build_marts`, which builds incrementally once a build is recorded). The days hold what an
incremental build can get wrong:

* day 1: a thread with normal comments and one copy-paste text, posted once by one author
  (not spam yet);
* day 2: a NEW thread (with its submission: title) where two other authors post the same
  text, so the OLD day-1 comment, observed by no new dump, becomes `repeated_text` spam too;
  and a re-export of the rest of the day-1 thread, scraped later, with new like counts;
* day 3: a re-export of the day-2 thread where one copy was edited away (the group shrinks:
  the others' evidence changes) and a reply arrives.

Then (1) a copy of that warehouse gets `dbt build --full-refresh`: every table of `marts` and
every incremental model of `intermediate` must be equal, all columns (EXCEPT ALL both ways);
and (2) a new warehouse loads the same files in one run and is built whole: the tables must be
equal apart from the columns that name the load (load_id, ingested_at and their aggregates).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from comment_etl import pipeline
from comment_etl.config import load_settings
from comment_etl.transform.dbt_build import run_dbt_build

SPAM = "Check out my crypto course, link in my profile, it changed my life!"
OLD_THREAD, NEW_THREAD = "t3_aaa111", "t3_bbb222"

#: Columns that name the load a row came from: day by day and in one run they differ by design.
LOAD_COLUMNS = {"load_id", "ingested_at", "first_ingested_at", "last_ingested_at", "latest_load_id"}
#: Models whose rows are one build's bookkeeping, not data: left out of the comparison.
BOOKKEEPING = ("int_loads__%", "%__observed", "%__touched")


def _epoch(day: int, hour: int = 12) -> int:
    return int(datetime(2026, 1, day, hour, tzinfo=UTC).timestamp())


def _comment(cid: str, thread: str, body: str, author: str, score: int, **extra: Any) -> dict:
    return {
        "id": cid,
        "link_id": thread,
        "parent_id": extra.pop("parent", thread),
        "body": body,
        "author": author,
        "author_fullname": f"t2_{author}",
        "score": score,
        "created_utc": extra.pop("created", _epoch(1, 9)),
        "subreddit": "space",
        **extra,
    }


def _days() -> dict[int, dict[str, list[dict[str, Any]]]]:
    old = [
        _comment("c1", OLD_THREAD, "The sky crane landing still gives me chills", "ann", 5),
        _comment("c2", OLD_THREAD, "Watch 3:13, the parachute opens right there", "ben", 2),
        _comment("c3", OLD_THREAD, SPAM, "spammer1", 0),
        _comment("c4", OLD_THREAD, "Kostet ein Schweinegeld und ist so sinnlos", "dirk", 1),
        _comment("c5", OLD_THREAD, "The sky crane engineering is pure genius", "eve", 9),
    ]
    new = [
        {"id": "bbb222", "title": "Ingenuity's last flight", "selftext": "", "is_self": True,
         "subreddit": "space", "created_utc": _epoch(2, 8)},
        _comment("d1", NEW_THREAD, SPAM, "spammer2", 0, created=_epoch(2, 10)),
        _comment("d2", NEW_THREAD, SPAM + " ", "spammer3", 0, created=_epoch(2, 10)),
        _comment("d3", NEW_THREAD, "What a little helicopter, the sky crane of flight",
                 "fay", 4, created=_epoch(2, 11)),
        _comment("d4", NEW_THREAD, "lol that helicopter is hilarious", "gus", 3,
                 created=_epoch(2, 11)),
    ]  # fmt: skip
    # a partial re-export: c3, the copy-paste comment, is not in it (no new observation of it)
    reexport = [
        dict(c, score=c["score"] + 10, retrieved_on=_epoch(2, 20)) for c in old if c["id"] != "c3"
    ]
    edited = [
        dict(c, body="Edited: never mind, I was wrong", retrieved_on=_epoch(3, 20))
        if c.get("id") == "d2"
        else dict(c, retrieved_on=_epoch(3, 20))
        for c in new
        if "body" in c
    ]
    reply = _comment("d5", NEW_THREAD, "@fay the sky crane of flight, lol", "hal", 1,
                     parent="t1_d3", created=_epoch(3, 9))  # fmt: skip
    return {
        1: {"RC_old_day1.ndjson": old},
        2: {"RC_new_day2.ndjson": new, "RC_old_reexport_day2.ndjson": reexport},
        3: {"RC_new_reexport_day3.ndjson": [*edited, reply]},
    }


def _write(folder: Path, day: int, files: dict[str, list[dict[str, Any]]]) -> None:
    for name, records in files.items():
        path = folder / name
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        os.utime(path, (_epoch(day, 21), _epoch(day, 21)))  # the scrape's time, long stable


def _use(monkeypatch: pytest.MonkeyPatch, root: Path) -> Any:
    """Settings of a pipeline rooted in `root` (landing, warehouse, dbt target...)."""
    (root / "landing").mkdir(parents=True, exist_ok=True)
    for name, sub in [
        ("COMMENTS_LANDING_DIR", "landing"),
        ("COMMENTS_WAREHOUSE", "warehouse/comments.duckdb"),
        ("COMMENTS_BI_SNAPSHOT", "warehouse/comments_bi.duckdb"),
        ("COMMENTS_WORK_DIR", "work"),
        ("COMMENTS_DBT_TARGET_DIR", "dbt_target"),
    ]:
        monkeypatch.setenv(name, str(root / sub))
    return load_settings()


def _run(settings: Any, load_id: str) -> dict[str, Any]:
    """One DAG run without Airflow: discover, parse, load, build."""
    manifests = [pipeline.parse(settings, c, load_id) for c in pipeline.discover(settings)]
    summary = pipeline.load(settings, manifests, load_id)
    assert summary["files_loaded"] == len(manifests) and not summary["rejects"], summary
    return pipeline.build_marts(settings)


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    skip = " ".join(f"and table_name not like '{p}'" for p in BOOKKEEPING)
    return [
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_catalog = ? and table_schema in ('marts', 'intermediate') {skip} "
            "and table_type = 'BASE TABLE' order by all",
            [catalog],
        ).fetchall()
    ]


def _differences(
    left: Path, right: Path, ignore: set[str] = frozenset(), digits: int | None = None
) -> dict[str, Any]:
    """Per table: rows only in left / only in right (EXCEPT ALL), over all columns but `ignore`;
    doubles rounded to `digits` decimals when given, else compared exactly."""
    con = duckdb.connect()
    con.execute(f"attach '{left}' as l (read_only); attach '{right}' as r (read_only)")
    tables = _tables(con, "l")
    assert tables == _tables(con, "r")
    found: dict[str, Any] = {}
    for table in tables:
        columns = [
            f'round("{name}", {digits})' if digits is not None and kind == "DOUBLE" else f'"{name}"'
            for name, kind in con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_catalog = 'l' and table_schema || '.' || table_name = ? "
                "order by ordinal_position",
                [table],
            ).fetchall()
            if name not in ignore
        ]
        listed = ", ".join(columns)
        only_left = con.execute(
            f"select {listed} from l.{table} except all select {listed} from r.{table}"
        ).fetchall()
        only_right = con.execute(
            f"select {listed} from r.{table} except all select {listed} from l.{table}"
        ).fetchall()
        if only_left or only_right:
            found[table] = {"only_incremental": only_left[:5], "only_rebuilt": only_right[:5]}
    con.close()
    assert len(tables) > 10, tables  # the comparison covered the marts, not an empty list
    return found


@pytest.fixture(scope="module")
def monkeymodule():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def day_by_day(tmp_path_factory: pytest.TempPathFactory, monkeymodule) -> dict[str, Any]:
    """The warehouse built day by day, and what each build said."""
    root = tmp_path_factory.mktemp("day_by_day")
    settings = _use(monkeymodule, root)
    builds = {}
    for day, files in _days().items():
        _write(settings.landing_dir, day, files)
        builds[day] = _run(settings, f"day{day}")
    return {"settings": settings, "builds": builds, "root": root}


def _rows(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_later_days_build_incrementally(day_by_day: dict[str, Any]) -> None:
    builds = day_by_day["builds"]
    assert [builds[day]["full_refresh"] for day in (1, 2, 3)] == [True, False, False]
    warehouse = day_by_day["settings"].warehouse
    # day 3 observed the 4 re-exported day-2 comments and the reply, nothing of day 1
    observed = _rows(warehouse, "select comment_id from intermediate.int_comments__observed")
    assert sorted(c for (c,) in observed) == ["d1", "d2", "d3", "d4", "d5"]


def test_incremental_builds_drop_their_temp_tables(day_by_day: dict[str, Any]) -> None:
    """dbt-duckdb leaves an incremental model's temporary table (its new rows) in DuckDB's memory
    for the rest of the session; macros/incremental.sql drops it once the rows are in. Every
    temporary table the three builds created (dbt's log of the SQL it ran) was dropped."""
    log = (day_by_day["root"] / "dbt_target" / "logs" / "dbt.log").read_text()
    created = re.findall(r'create temporary table\s+"([^"]+)"', log)
    dropped = set(re.findall(r'drop table if exists "([^"]+)"', log))
    models = [name for name in created if name.startswith(("int_", "fct_", "dim_"))]
    assert len(models) >= 10  # days 2 and 3 build the incremental models incrementally
    assert [name for name in created if name not in dropped] == []


def test_a_new_copy_makes_the_old_comment_spam_and_an_edit_updates_the_group(
    day_by_day: dict[str, Any],
) -> None:
    warehouse = day_by_day["settings"].warehouse
    spam = _rows(
        warehouse,
        "select comment_id, evidence from intermediate.int_comment_spam_signals "
        "where spam_signal = 'repeated_text' order by comment_id",
    )
    # c3 (day 1) and d1 still share the text; d2 left it on day 3: 2 posts by 2 authors
    assert spam == [("c3", "posted 2 times by 2 authors"), ("d1", "posted 2 times by 2 authors")]
    flags = dict(_rows(warehouse, "select comment_id, is_spam from marts.fct_comments"))
    assert flags["c3"] and flags["d1"] and not flags["d2"]
    likes = dict(_rows(warehouse, "select comment_id, like_count from marts.fct_comments"))
    assert likes["c1"] == 15 and likes["c5"] == 19  # the later re-export won


def test_full_refresh_of_the_same_warehouse_gives_identical_tables(
    day_by_day: dict[str, Any], tmp_path: Path
) -> None:
    settings = day_by_day["settings"]
    copy = tmp_path / "rebuilt.duckdb"
    shutil.copy(settings.warehouse, copy)
    run_dbt_build(settings.dbt_project_dir, copy, tmp_path / "dbt_target", ["--full-refresh"])
    assert _differences(settings.warehouse, copy) == {}


def test_one_run_over_the_same_files_gives_the_same_marts(
    day_by_day: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _use(monkeypatch, tmp_path / "one_run")
    for day, files in _days().items():
        _write(settings.landing_dir, day, files)
    assert _run(settings, "all_days")["full_refresh"]
    # The language detector's confidence of one text can differ in its last bit between a batch
    # of one day's texts and a batch of all of them: doubles are compared to 9 decimals here.
    differences = _differences(
        day_by_day["settings"].warehouse, settings.warehouse, ignore=LOAD_COLUMNS, digits=9
    )
    assert differences == {}

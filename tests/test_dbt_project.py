"""The dbt project, built for real: a small warehouse, `dbt build`, concrete mart values.

One `dbt build` (models, seeds, data tests and unit tests) runs once for the module against a
temporary DuckDB file that `comment_etl.load.schema.ensure_schema` created and a few realistic
rows filled: the German comment of the sample page, English ones, a comment observed twice with
a newer like count, and a reply. The tests then read the marts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from comment_etl.load.schema import ensure_schema

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt"

GERMAN_COMMENT = (
    "Tja, da laden wir unseren Elektroschrott auf anderen Planeten ab. Für Nichts und wieder "
    "Nichts. Kostet ein Schweinegeld und ist so unglaublich sinnlos. Eine unglaubliche Leistung, "
    "keine Frage, aber eben völlig sinnfrei. Nicht falsch verstehen. Teile der Menschheit können "
    "einfach nicht anders. Die müssen erobern und wenn es andere Planeten sind. Ist halt nur "
    "schade, dass es hier so unendlich viele zu lösende Probleme gibt und wir hunderte von "
    "Millionen zum Fenster rausschmeißen für etwas, dass uns überhaupt nichts bringt."
)
PAGE_COMMENTS = [
    # (position, language, text): a scraped page has no ids, authors, likes or dates
    (1, "de", GERMAN_COMMENT),
    (
        2,
        "en",
        "I hope you find the Gold and other minerals deep inside the mountain ridges of that "
        "planet. I dont believe that billions of dollars are been invested just to get to the "
        "bottom of the origins of the universe. What alot of bollox.",
    ),
    (
        3,
        "en",
        "As a kid I read tattered library books with black & white photos beamed back to Earth "
        "from probes. I never thought I would have an experience like this. Well done, JPL.",
    ),
    (
        4,
        "en",
        "You believe what you just saw is the surface of the moon because that’s what you’ve "
        "been told it is. If only more people engaged in critical thinking.",
    ),
]
PAGE_ID = "perseverance-landing"
VIDEO_ID = "4czjS9h4Fpg"

DAY1 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)  # load times
DAY2 = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


def _executable(name: str) -> str:
    """A console script of the venv that runs the tests (dbt, sqlfluff)."""
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        pytest.skip(f"{name} is not installed next to {sys.executable} (install the dev extras)")
    return str(path)


PAGE_FILE = "perseverance_landing_page.txt"
API_FILE = "api_4czjS9h4Fpg.json"
YTCD_FILE = "ytcd_4czjS9h4Fpg.jsonl"


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


CONTENTS: list[dict[str, Any]] = [
    # the API export carries title and channel; the later ytcd dump of the video does not
    {"platform": "youtube", "content_id": VIDEO_ID, "channel": "NASA",
     "title": "Perseverance Rover’s Descent and Touchdown on Mars",
     "source_file": API_FILE, "load_id": "load-1", "ingested_at": DAY1},
    {"platform": "youtube", "content_id": VIDEO_ID, "title": None, "channel": None,
     "source_file": YTCD_FILE, "load_id": "load-2", "ingested_at": DAY2},
    {"platform": "web", "content_id": PAGE_ID, "channel": None,
     "title": "Perseverance Rover’s Descent and Touchdown on Mars (Official NASA Video)",
     "source_file": PAGE_FILE, "load_id": "load-1", "ingested_at": DAY1},
]  # fmt: skip

COMMENTS: list[dict[str, Any]] = [
    # a scraped page: no ids (derived from the position), authors, likes or dates
    *(
        {"platform": "web", "content_id": PAGE_ID, "comment_id": f"{PAGE_ID}:{position}",
         "text": text, "position": position, "language": language,
         "language_confidence": 0.99, "source_file": PAGE_FILE, "load_id": "load-1",
         "ingested_at": DAY1}
        for position, language, text in PAGE_COMMENTS
    ),
    # observed twice: the refetch (a newer scrape) has 12 likes instead of 5
    {"platform": "youtube", "content_id": VIDEO_ID, "comment_id": "UgwA1",
     "author_name": "@alice", "author_id": "UCalice", "text": "Incredible footage, well done!",
     "published_at": _at(1, 9), "like_count": 5, "reply_count": 1, "position": 1,
     "language": "en", "language_confidence": 0.97, "updated_at": _at(1, 11),
     "source_file": API_FILE, "load_id": "load-1", "ingested_at": DAY1},
    {"platform": "youtube", "content_id": VIDEO_ID, "comment_id": "UgwA1",
     "author_name": "@alice", "author_id": "UCalice", "text": "Incredible footage, well done!",
     "published_at": _at(1, 9), "like_count": 12, "reply_count": 1, "position": 1,
     "language": "en", "language_confidence": 0.97, "retrieved_at": _at(2, 8),
     "source_file": YTCD_FILE, "load_id": "load-2", "ingested_at": DAY2},
    # a reply to UgwA1, late on the same UTC day
    {"platform": "youtube", "content_id": VIDEO_ID, "comment_id": "UgwA1.r1",
     "parent_comment_id": "UgwA1", "author_name": "@bob", "author_id": "UCbob",
     "text": "Lol the Chinese already did it. Hilarious", "published_at": _at(1, 23, 30),
     "like_count": 1, "reply_count": 0, "position": 2, "language": "en",
     "language_confidence": 0.95, "source_file": YTCD_FILE, "load_id": "load-2",
     "ingested_at": DAY2},
    {"platform": "youtube", "content_id": VIDEO_ID, "comment_id": "UgwB2",
     "author_name": "@carol", "author_id": "UCcarol",
     "text": "Why is there no video of the sky at night on Mars?", "published_at": _at(2, 7),
     "like_count": 3, "reply_count": 0, "position": 3, "language": "en",
     "language_confidence": 0.93, "source_file": YTCD_FILE, "load_id": "load-2",
     "ingested_at": DAY2},
]  # fmt: skip


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert dict rows into staging.<table>; columns a row leaves out are null."""
    columns = sorted({column for row in rows for column in row})
    placeholders = ", ".join("?" for _ in columns)
    con.executemany(
        f"insert into staging.{table} ({', '.join(columns)}) values ({placeholders})",
        [[row.get(column) for column in columns] for row in rows],
    )


def _fill_warehouse(database: Path) -> None:
    con = duckdb.connect(str(database))
    try:
        ensure_schema(con)
        _insert(con, "contents", CONTENTS)
        _insert(con, "comments", COMMENTS)
        _insert(
            con,
            "load_ledger",
            [
                {"source_file": name, "sha256": sha, "format": fmt, "status": "loaded",
                 "rows_loaded": rows, "rows_rejected": 0, "load_id": load, "loaded_at": at}
                for name, sha, fmt, rows, load, at in [
                    (PAGE_FILE, "a1", "page_text", len(PAGE_COMMENTS), "load-1", DAY1),
                    (API_FILE, "b2", "youtube_api", 1, "load-1", DAY1),
                    (YTCD_FILE, "c3", "ytcd", 3, "load-2", DAY2),
                ]
            ],
        )  # fmt: skip
    finally:
        con.close()


@dataclass(frozen=True)
class Build:
    warehouse: Path
    returncode: int
    stdout: str
    stderr: str

    def output(self) -> str:
        return self.stdout[-4000:] + self.stderr[-2000:]


@pytest.fixture(scope="module")
def dbt_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    tmp_path = tmp_path_factory.mktemp("dbt_build")
    warehouse = tmp_path / "warehouse.duckdb"
    _fill_warehouse(warehouse)
    env = {
        **os.environ,
        "COMMENTS_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    command = [
        _executable("dbt"),
        "build",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(tmp_path / "target"),
        "--log-path", str(tmp_path / "logs"),
    ]  # fmt: skip
    proc = subprocess.run(
        command, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    return Build(warehouse, proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def marts(dbt_build: Build) -> Iterator[duckdb.DuckDBPyConnection]:
    assert dbt_build.returncode == 0, dbt_build.output()
    con = duckdb.connect(str(dbt_build.warehouse), read_only=True)
    yield con
    con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_dbt_build_passes_without_errors(dbt_build: Build) -> None:
    assert dbt_build.returncode == 0, dbt_build.output()
    done = [line for line in dbt_build.stdout.splitlines() if "Done. PASS=" in line]
    assert done, dbt_build.stdout[-2000:]
    assert "ERROR=0" in done[-1] and "WARN=0" in done[-1], done[-1]


def test_dedup_keeps_the_newest_observation(marts: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(
        marts,
        "select like_count, observation_count, source_file from marts.fct_comments "
        "where comment_id = 'UgwA1'",
    )
    assert rows == [
        {"like_count": 12, "observation_count": 2, "source_file": "ytcd_4czjS9h4Fpg.jsonl"}
    ]
    (total,) = marts.execute("select count(*) from marts.fct_comments").fetchone()
    assert total == len(PAGE_COMMENTS) + 3


def test_comment_key_is_md5_of_the_natural_key(marts: duckdb.DuckDBPyConnection) -> None:
    (key,) = marts.execute(
        "select comment_key from marts.fct_comments where comment_id = 'UgwA1'"
    ).fetchone()
    assert key == marts.execute("select md5(?)", [f"youtube|{VIDEO_ID}|UgwA1"]).fetchone()[0]


def test_german_comment_gets_cost_and_criticism_themes(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    (themes,) = marts.execute(
        "select themes from marts.fct_comments where comment_id = ?", [f"{PAGE_ID}:1"]
    ).fetchone()
    assert {"cost_money", "criticism"} <= set(themes)
    terms = {
        row["theme"]: set(row["matched_terms"])
        for row in _rows(
            marts,
            "select theme, matched_terms from intermediate.int_comment_themes where comment_id = ?",
            f"{PAGE_ID}:1",
        )
    }
    assert {"kostet", "schweinegeld"} <= terms["cost_money"]
    assert {"sinnlos", "elektroschrott"} <= terms["criticism"]


def test_english_comments_get_their_themes(marts: duckdb.DuckDBPyConnection) -> None:
    themes = dict(marts.execute("select comment_id, themes from marts.fct_comments").fetchall())
    assert "cost_money" in themes[f"{PAGE_ID}:2"]  # billions of dollars
    assert "nostalgia_awe" in themes[f"{PAGE_ID}:3"]  # as a kid
    assert "conspiracy_skepticism" in themes[f"{PAGE_ID}:4"]  # moon, critical thinking
    assert {"humor", "politics_nationality"} <= set(themes["UgwA1.r1"])
    assert themes["UgwB2"] == ["question"]


def test_reply_is_counted_as_reply(marts: duckdb.DuckDBPyConnection) -> None:
    reply = _rows(
        marts,
        "select r.is_reply, r.parent_comment_key = p.comment_key as parent_matches "
        "from marts.fct_comments as r join marts.fct_comments as p "
        "on p.comment_id = r.parent_comment_id where r.comment_id = 'UgwA1.r1'",
    )
    assert reply == [{"is_reply": True, "parent_matches": True}]
    video = _rows(
        marts,
        "select comments, top_level_comments, replies, unique_authors, likes_total, "
        "likes_median from marts.engagement_by_content where content_id = ?",
        VIDEO_ID,
    )
    assert video == [
        {
            "comments": 3,
            "top_level_comments": 2,
            "replies": 1,
            "unique_authors": 3,
            "likes_total": 16,
            "likes_median": 3.0,
        }
    ]


def test_page_without_authors_has_null_unique_authors(marts: duckdb.DuckDBPyConnection) -> None:
    page = _rows(
        marts,
        "select comments, replies, unique_authors, likes_total, first_comment_at "
        "from marts.engagement_by_content where content_id = ?",
        PAGE_ID,
    )
    assert page == [
        {
            "comments": len(PAGE_COMMENTS),
            "replies": 0,
            "unique_authors": None,
            "likes_total": None,
            "first_comment_at": None,
        }
    ]


def test_language_mix_shares_sum_to_one_per_content(marts: duckdb.DuckDBPyConnection) -> None:
    totals = dict(
        marts.execute(
            "select content_id, sum(share_of_comments) from marts.language_mix group by 1"
        ).fetchall()
    )
    assert set(totals) == {PAGE_ID, VIDEO_ID}
    assert all(total == pytest.approx(1.0) for total in totals.values()), totals
    (german_share,) = marts.execute(
        "select share_of_comments from marts.language_mix where content_id = ? and language = 'de'",
        [PAGE_ID],
    ).fetchone()
    assert german_share == pytest.approx(1 / len(PAGE_COMMENTS))


def test_dim_contents_keeps_the_title_a_later_file_lacks(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    video = _rows(
        marts,
        "select title, channel, observation_count, latest_source_file, has_content_record "
        "from marts.dim_contents where content_id = ?",
        VIDEO_ID,
    )
    assert video == [
        {
            "title": "Perseverance Rover’s Descent and Touchdown on Mars",
            "channel": "NASA",
            "observation_count": 2,
            "latest_source_file": "ytcd_4czjS9h4Fpg.jsonl",
            "has_content_record": True,
        }
    ]


def test_engagement_daily_buckets_by_utc_day(marts: duckdb.DuckDBPyConnection) -> None:
    days = _rows(
        marts,
        "select cast(comment_date as varchar) as day, comments, replies, likes_total "
        "from marts.engagement_daily where content_id = ? order by day",
        VIDEO_ID,
    )
    assert days == [
        {"day": "2026-01-01", "comments": 2, "replies": 1, "likes_total": 13},
        {"day": "2026-01-02", "comments": 1, "replies": 0, "likes_total": 3},
    ]
    (page_days,) = marts.execute(
        "select count(*) from marts.engagement_daily where content_id = ?", [PAGE_ID]
    ).fetchone()
    assert page_days == 0  # no publication times on a scraped page


def test_theme_summary_picks_the_german_comment_as_example(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    rows = _rows(
        marts,
        "select comments, share_of_content_comments, example_comment_id, example_text_excerpt "
        "from marts.theme_summary where content_id = ? and theme = 'cost_money' "
        "and language = 'de'",
        PAGE_ID,
    )
    assert len(rows) == 1
    assert rows[0]["comments"] == 1
    assert rows[0]["share_of_content_comments"] == pytest.approx(1 / len(PAGE_COMMENTS))
    assert rows[0]["example_comment_id"] == f"{PAGE_ID}:1"
    assert rows[0]["example_text_excerpt"].startswith("Tja, da laden wir")


def test_sqlfluff_lint_passes() -> None:
    proc = subprocess.run(
        [_executable("sqlfluff"), "lint", "dbt/models", "dbt/tests"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]

"""The dbt project, built for real: a small warehouse, `dbt build`, concrete mart values.

One `dbt build` (models, seeds, data tests and unit tests) runs once for the module against a
temporary DuckDB file that `comment_etl.warehouse.schema.ensure_schema` created and a few realistic
rows filled: the German comment of the sample page, English ones, a comment observed twice with
a newer like count, and a reply; and a third video whose comment section has what the newer
marts look for: spam of every kind next to a normal comment that says "subscribe", timestamps,
a recurring topic, and labels an analyst should not trust. The tests then read the marts.
"""

from __future__ import annotations

import json
import math
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

from comment_etl.warehouse.schema import ensure_schema

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
    (
        10,
        "en",
        '3:13 "ready to begin seeking the signs of past life" sounds like a video clip from '
        "WALL-E hundreds of thousands of years later if they find out there is no life in most "
        "of the milky way",
    ),
]
PAGE_ID = "perseverance-landing"
VIDEO_ID = "4czjS9h4Fpg"
CRANE_ID = "Rv2QmLk8sT0"  # a video whose comment section exercises spam, moments and topics

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
CRANE_FILE = "ytcd_Rv2QmLk8sT0.jsonl"

#: (comment id, author, text, language, confidence, likes); all labelled by fastText
CRANE_COMMENTS = [
    # spam, one kind each
    ("link", "@promo", "Free followers here www.fastfollowers.example/go", "en", 0.8, 0),
    ("sub4sub", "@subber", "sub4sub anyone? I sub back 100%", "en", 0.6, 0),
    ("phone", "@lonely", "Lonely tonight? WhatsApp me +44 7911 123456", "en", 0.9, 0),
    ("copy1", "@fan1", "Who is watching this in 2026 from the future??", "en", 0.95, 2),
    ("copy2", "@fan2", "who is watching this in 2026 from the future", "en", 0.95, 1),
    ("promo", "@promo2", "Check out my channel at 2:13 for the real landing", "en", 0.9, 0),
    # not spam: "subscribe" in a sentence about a newsletter
    ("newsletter", "@reader",
     "I subscribe to the JPL newsletter and they announced this landing weeks ago",
     "en", 0.97, 4),
    # moments and a recurring topic
    ("m1", "@timer", "The parachute at 1:02:45 is unreal, and again at 0:45", "en", 0.91, 7),
    ("m2", "@timer2", "0:45 gave me chills, the sky crane at 0:45!", "en", 0.9, 30),
    ("t1", "@eng1", "The sky crane maneuver still gives me chills", "en", 0.93, 12),
    ("t2", "@eng2", "sky crane engineering is pure genius", "en", 0.92, 3),
    ("t3", "@eng3", "that sky crane though", "en", 0.4, 1),
    # labels not to trust: no label at all, and a weak one
    ("emoji", "@emoji", "🚀🚀🚀", "und", 0.0, 5),
    ("de", "@de", "Unglaublich, der Himmelskran ist genial", "de", 0.88, 2),
]  # fmt: skip
CRANE_SPAM = {"link", "sub4sub", "phone", "copy1", "copy2", "promo"}


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
    {"platform": "youtube", "content_id": CRANE_ID, "title": "How the sky crane works",
     "source_file": CRANE_FILE, "load_id": "load-2", "ingested_at": DAY2},
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
    *(
        {"platform": "youtube", "content_id": CRANE_ID, "comment_id": comment_id,
         "author_name": author, "author_id": f"UC{author[1:]}", "text": text,
         "published_at": _at(2, 9), "like_count": likes, "position": position,
         "language": language, "language_confidence": confidence,
         "language_detector": "fasttext", "source_file": CRANE_FILE, "load_id": "load-2",
         "ingested_at": DAY2}
        for position, (comment_id, author, text, language, confidence, likes)
        in enumerate(CRANE_COMMENTS, start=1)
    ),
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
                    (CRANE_FILE, "d4", "ytcd", len(CRANE_COMMENTS), "load-2", DAY2),
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
    assert total == len(PAGE_COMMENTS) + 3 + len(CRANE_COMMENTS)


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
        "likes_median from marts.fct_engagement_by_content where content_id = ?",
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
        "from marts.fct_engagement_by_content where content_id = ?",
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
            "select content_id, sum(share_of_comments) from marts.fct_language_mix group by 1"
        ).fetchall()
    )
    assert set(totals) == {PAGE_ID, VIDEO_ID, CRANE_ID}
    assert all(total == pytest.approx(1.0) for total in totals.values()), totals
    (german_share,) = marts.execute(
        "select share_of_comments from marts.fct_language_mix "
        "where content_id = ? and language = 'de'",
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
        "from marts.fct_engagement_daily where content_id = ? order by day",
        VIDEO_ID,
    )
    assert days == [
        {"day": "2026-01-01", "comments": 2, "replies": 1, "likes_total": 13},
        {"day": "2026-01-02", "comments": 1, "replies": 0, "likes_total": 3},
    ]
    (page_days,) = marts.execute(
        "select count(*) from marts.fct_engagement_daily where content_id = ?", [PAGE_ID]
    ).fetchone()
    assert page_days == 0  # no publication times on a scraped page


def test_theme_summary_picks_the_german_comment_as_example(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    rows = _rows(
        marts,
        "select comments, share_of_content_comments, example_comment_id, example_text_excerpt "
        "from marts.fct_theme_summary where content_id = ? and theme = 'cost_money' "
        "and language = 'de'",
        PAGE_ID,
    )
    assert len(rows) == 1
    assert rows[0]["comments"] == 1
    assert rows[0]["share_of_content_comments"] == pytest.approx(1 / len(PAGE_COMMENTS))
    assert rows[0]["example_comment_id"] == f"{PAGE_ID}:1"
    assert rows[0]["example_text_excerpt"].startswith("Tja, da laden wir")


def test_spam_is_flagged_with_its_reasons(marts: duckdb.DuckDBPyConnection) -> None:
    rows = {
        row["comment_id"]: row
        for row in _rows(
            marts,
            "select comment_id, is_spam, spam_score, spam_reasons from marts.fct_comments "
            "where content_id = ?",
            CRANE_ID,
        )
    }
    assert {comment_id for comment_id, row in rows.items() if row["is_spam"]} == CRANE_SPAM
    assert rows["link"]["spam_reasons"] == ["giveaway_scam", "link"]
    assert rows["sub4sub"]["spam_reasons"] == ["subscribe_begging"]
    assert rows["phone"]["spam_reasons"] == ["contact_me", "phone_number"]
    assert rows["phone"]["spam_score"] == 5  # WhatsApp (2) + the number (3)
    assert rows["copy1"]["spam_reasons"] == rows["copy2"]["spam_reasons"] == ["repeated_text"]
    assert rows["promo"]["spam_reasons"] == ["classifier", "self_promotion"]  # p = 1.00
    # "subscribe to the JPL newsletter": the signal is there, the score stays below 3
    assert rows["newsletter"] == {
        "comment_id": "newsletter",
        "is_spam": False,
        "spam_score": 2,
        "spam_reasons": ["subscribe_begging"],
    }
    (others,) = marts.execute(
        "select count(*) from marts.fct_comments where content_id != ? and is_spam", [CRANE_ID]
    ).fetchone()
    assert others == 0  # nothing on the landing page or the first video is spam


def test_engagement_counts_spam_apart(marts: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(
        marts,
        "select comments, spam_comments, unique_authors, likes_total, likes_median "
        "from marts.fct_engagement_by_content where content_id = ?",
        CRANE_ID,
    )
    non_spam = [c for c in CRANE_COMMENTS if c[0] not in CRANE_SPAM]
    assert rows == [
        {
            "comments": len(non_spam),
            "spam_comments": len(CRANE_SPAM),
            "unique_authors": len(non_spam),
            "likes_total": sum(c[5] for c in non_spam),
            "likes_median": 4.5,
        }
    ]


def test_language_mix_and_confidence_say_how_far_to_trust_the_split(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    mix = {
        row["language"]: row
        for row in _rows(
            marts,
            "select language, comments, spam_comments, share_of_comments, language_detectors "
            "from marts.fct_language_mix where content_id = ?",
            CRANE_ID,
        )
    }
    assert {lang: (r["comments"], r["spam_comments"]) for lang, r in mix.items()} == {
        "en": (6, 6),
        "de": (1, 0),
        "und": (1, 0),
    }
    assert mix["en"]["share_of_comments"] == pytest.approx(0.75)
    assert mix["en"]["language_detectors"] == ["fasttext"]
    confidence = _rows(
        marts,
        "select comments, und_comments, low_confidence_comments, share_und, "
        "share_low_confidence, share_trusted, languages, median_confidence "
        "from marts.fct_language_confidence where scope = 'content' and content_id = ?",
        CRANE_ID,
    )
    assert confidence == [
        {
            "comments": 8,
            "und_comments": 1,  # the emoji-only comment
            "low_confidence_comments": 1,  # "that sky crane though", 0.4
            "share_und": 0.125,
            "share_low_confidence": 0.125,
            "share_trusted": 0.75,
            "languages": 2,
            "median_confidence": pytest.approx(0.91),
        }
    ]
    overall = _rows(
        marts,
        "select language_detector, comments from marts.fct_language_confidence "
        "where scope = 'all' order by language_detector",
    )
    # the fixture rows of the first two contents carry no detector
    assert overall == [
        {"language_detector": "fasttext", "comments": 8},
        {"language_detector": "unknown", "comments": len(PAGE_COMMENTS) + 3},
    ]


def test_moments_count_comments_per_second_without_spam(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    crane = _rows(
        marts,
        "select second, moment_label, mentions, likes_total, example_comment_id "
        "from marts.fct_moments where content_id = ? order by second",
        CRANE_ID,
    )
    assert crane == [
        # m2 names 0:45 twice: one mention; the spam comment's 2:13 is not there
        {"second": 45, "moment_label": "0:45", "mentions": 2, "likes_total": 37,
         "example_comment_id": "m2"},
        {"second": 3765, "moment_label": "1:02:45", "mentions": 1, "likes_total": 7,
         "example_comment_id": "m1"},
    ]  # fmt: skip
    page = _rows(
        marts,
        "select second, mentions, example_comment_id, example_text_excerpt "
        "from marts.fct_moments where content_id = ?",
        PAGE_ID,
    )
    assert len(page) == 1
    assert page[0]["second"] == 193  # "3:13"
    assert page[0]["mentions"] == 1
    assert page[0]["example_comment_id"] == f"{PAGE_ID}:10"
    assert page[0]["example_text_excerpt"].startswith('3:13 "ready to begin')


def test_content_topics_find_the_sky_crane(marts: duckdb.DuckDBPyConnection) -> None:
    top = {
        row["term_type"]: row
        for row in _rows(
            marts,
            "select term_type, term, comments_with_term, contents_with_term, tfidf "
            "from marts.fct_content_topics where content_id = ? and rank = 1",
            CRANE_ID,
        )
    }
    assert top["bigram"]["term"] == "sky crane"
    assert top["bigram"]["comments_with_term"] == 4
    # "crane" and "sky" are both in 4 of its 8 non-spam comments; "sky" also appears under
    # the first video, so "crane" is the more distinctive one
    assert top["unigram"]["term"] == "crane"
    assert top["unigram"]["contents_with_term"] == 1
    assert top["unigram"]["tfidf"] == pytest.approx(4 / 8 * (math.log(4 / 2) + 1))
    terms = {
        term
        for (term,) in marts.execute(
            "select term from marts.fct_content_topics where content_id = ?", [CRANE_ID]
        ).fetchall()
    }
    # spam words, stop words and numbers never make a topic
    assert not terms & {"followers", "sub4sub", "watching", "the", "2026", "channel"}


def test_sqlfluff_lint_passes() -> None:
    proc = subprocess.run(
        [_executable("sqlfluff"), "lint", "dbt"],  # models, tests and macros
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_sentiment_is_judged_in_english_only(marts: duckdb.DuckDBPyConnection) -> None:
    rows = {
        row["comment_id"]: row
        for row in _rows(
            marts,
            "select comment_id, language, sentiment, sentiment_score from marts.fct_comments "
            "where content_id = ?",
            CRANE_ID,
        )
    }
    # no lexicon for German, no language for emoji: not judged, never "neutral"
    assert (rows["de"]["sentiment"], rows["de"]["sentiment_score"]) == ("und", None)
    assert (rows["emoji"]["sentiment"], rows["emoji"]["sentiment_score"]) == ("und", None)
    english = [row for row in rows.values() if row["language"] == "en"]
    assert all(row["sentiment"] in ("positive", "neutral", "negative") for row in english)
    assert all(-1 <= row["sentiment_score"] <= 1 for row in english)
    by_day = _rows(
        marts,
        "select sum(comments) as comments, sum(positive_comments + neutral_comments "
        "+ negative_comments + und_comments) as judged, sum(und_comments) as und, "
        "sum(spam_comments) as spam from marts.fct_sentiment_by_content where content_id = ?",
        CRANE_ID,
    )
    non_spam = [c for c in CRANE_COMMENTS if c[0] not in CRANE_SPAM]
    assert by_day == [
        {"comments": len(non_spam), "judged": len(non_spam), "und": 2, "spam": len(CRANE_SPAM)}
    ]


def test_unique_combination_test_finds_a_repeated_combination(
    dbt_build: Build, tmp_path: Path
) -> None:
    """The generic test (dbt/tests/generic/unique_combination_of_columns.sql, as dbt compiled
    it for int_comment_themes) returns nothing on the built table and the combination, with
    its count, once a row is in it twice."""
    assert dbt_build.returncode == 0, dbt_build.output()
    manifest = json.loads((dbt_build.warehouse.parent / "target" / "manifest.json").read_text())
    compiled = [
        node["compiled_code"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and node.get("test_metadata", {}).get("name") == "unique_combination_of_columns"
        and node.get("attached_node") == "model.comments_warehouse.int_comment_themes"
    ]
    assert len(compiled) == 1, "no compiled uniqueness test of int_comment_themes"
    sql = compiled[0]
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(dbt_build.warehouse.read_bytes())
    con = duckdb.connect(str(copy))
    try:
        catalog = f'"{dbt_build.warehouse.stem}".'
        sql = sql.replace(catalog, f'"{copy.stem}".')
        assert con.execute(sql).fetchall() == []
        key = "platform, content_id, comment_id, theme"
        repeated = con.execute(
            f"select {key} from intermediate.int_comment_themes order by {key} limit 1"
        ).fetchone()
        assert repeated is not None
        con.execute(
            "insert into intermediate.int_comment_themes select * from "
            "intermediate.int_comment_themes where (platform, content_id, comment_id, theme) "
            "= (?, ?, ?, ?)",
            list(repeated),
        )
        assert con.execute(sql).fetchall() == [(*repeated, 2)]
    finally:
        con.close()

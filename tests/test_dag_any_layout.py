"""`comments_daily` (dag.test) on dumps of other layouts and on real comments of three platforms.

Day 1's landing folder holds:

* the home-made crawler's JSON lines and a scraper's CSV with German column names, both read
  through a mapping file (``comments_sources.yml``) beside them, and the scraper's CSV with
  common names (``video_id, author, published, text, likes``), no id column and no mapping
  entry, so its relative times resolve against the file's mtime;
* real public comments (``tests/fixtures/spam/README.md``): a Hacker News "Who is hiring?"
  thread (links, e-mails, salaries in every comment), Reddit comments citing sources, and UCI
  YouTube Spam Collection rows (three spam, two not).

Day 2 brings a re-crawl (new UUIDs, another order, one new comment) and a re-export of the
scraper CSV (times a day later, likes changed): the same comments must keep their ids, so
fct_comments has one row per comment with two observations.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.dag_runner import run_dag
from tests.test_dag_daily import assert_success, query

GENERIC = FIXTURES / "generic"
SPAM = FIXTURES / "spam"
DAY1 = datetime(2026, 11, 20, tzinfo=UTC)
DAY2 = datetime(2026, 11, 21, tzinfo=UTC)
MTIME = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
MAPPING = """\
sources:
  - match: "crawler_*.jsonl"
    platform: youtube
    content_id_field: url
    fields: {comment_id: null}
    scraped_at: "2026-11-20T08:00:00Z"
  - match: "scraper_custom*.csv"
    platform: youtube
    content_id_field: Video
    fields:
      author_name: Nutzer
      published_at: Veröffentlicht
      text: Kommentar
      like_count: Gefällt mir
    scraped_at: "2026-11-20T08:00:00Z"
"""

pytestmark = pytest.mark.usefixtures("airflow_db")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    root = tmp_path_factory.mktemp("any_layout")
    paths = {
        "landing": root / "landing",
        "warehouse": root / "warehouse" / "comments.duckdb",
        "snapshot": root / "warehouse" / "comments_bi.duckdb",
    }
    landing = paths["landing"]
    landing.mkdir()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("COMMENTS_LANDING_DIR", str(landing))
        env.setenv("COMMENTS_WAREHOUSE", str(paths["warehouse"]))
        env.setenv("COMMENTS_BI_SNAPSHOT", str(paths["snapshot"]))
        env.setenv("COMMENTS_WORK_DIR", str(root / "work"))
        env.setenv("COMMENTS_DBT_TARGET_DIR", str(root / "dbt_target"))
        env.delenv("COMMENTS_SOURCES_FILE", raising=False)

        (landing / "comments_sources.yml").write_text(MAPPING, encoding="utf-8")
        for name in ("crawler_export.jsonl", "scraper_comments.csv", "scraper_custom.csv"):
            shutil.copy(GENERIC / name, landing / name)
        os.utime(landing / "scraper_comments.csv", (MTIME.timestamp(), MTIME.timestamp()))
        for name in (
            "hn_who_is_hiring_44159528.json",
            "RC_citations.ndjson",
            "Youtube05-Shakira_sample.csv",
        ):
            shutil.copy(SPAM / name, landing / name)
        assert_success(run_dag(DAY1))
        paths["day1"] = root / "day1.duckdb"
        shutil.copy(paths["snapshot"], paths["day1"])

        lines = (GENERIC / "crawler_export.jsonl").read_text(encoding="utf-8").splitlines()
        recrawl = [json.loads(line) for line in reversed(lines)]
        for number, record in enumerate(recrawl):
            record["id"] = f"00000000-0000-4000-8000-{number:012d}"
        recrawl.append({**recrawl[0], "text": "Still watching in 2026", "id": "new-one"})
        (landing / "crawler_recrawl.jsonl").write_text(
            "\n".join(json.dumps(r, ensure_ascii=False) for r in recrawl), encoding="utf-8"
        )
        scraper = (GENERIC / "scraper_comments.csv").read_text(encoding="utf-8")
        reexport = scraper.replace("vor 2 Tagen", "vor 3 Tagen").replace(",12\n", ",15\n")
        (landing / "scraper_comments_2.csv").write_text(reexport, encoding="utf-8")
        later = MTIME.timestamp() + 86400
        os.utime(landing / "scraper_comments_2.csv", (later, later))
        assert_success(run_dag(DAY2))
        yield paths


def flags(db: Path, platform: str) -> dict[str, tuple[bool, list[str]]]:
    rows = query(
        db,
        "select comment_id, is_spam, spam_reasons from marts.fct_comments "
        f"where platform = '{platform}'",
    )
    return {row[0]: (row[1], list(row[2])) for row in rows}


def test_hn_who_is_hiring_posts_with_links_and_emails_are_not_spam(runs) -> None:
    hn = flags(runs["day1"], "hackernews")
    texts = dict(
        query(runs["day1"], "select comment_id, comment_text from marts.fct_comments "
              "where platform = 'hackernews'")
    )  # fmt: skip

    assert len(hn) == 5
    assert sum("@" in text for text in texts.values()) >= 2  # e-mail addresses
    assert all("http" in text or "@" in text for text in texts.values())  # link or e-mail
    assert {cid: spam for cid, (spam, _) in hn.items()} == dict.fromkeys(hn, False)
    engagement = query(
        runs["day1"],
        "select comments, spam_comments from marts.fct_engagement_by_content "
        "where platform = 'hackernews'",
    )
    assert engagement == [(5, 0)]


def test_reddit_citations_are_not_spam(runs) -> None:
    reddit = flags(runs["day1"], "reddit")
    assert set(reddit) == {"fx1", "fx2", "fx3"}
    assert all(not spam for spam, _ in reddit.values()), reddit


def test_uci_spam_comments_are_spam_and_the_others_not(runs) -> None:
    uci = flags(runs["day1"], "csv")
    with (SPAM / "Youtube05-Shakira_sample.csv").open(encoding="utf-8", newline="") as handle:
        labels = {row["COMMENT_ID"]: row["label"] == "1" for row in csv.DictReader(handle)}
    assert {cid: spam for cid, (spam, _) in uci.items()} == labels
    # the learned signal explains the one the rules cannot see (a political copy-paste)
    nsa = next(cid for cid in uci if cid.startswith("z13uhhxp5nvig15yc04c"))
    assert "classifier" in uci[nsa][1]


def test_other_layouts_load_with_and_without_the_mapping(runs) -> None:
    rows = query(
        runs["day1"],
        "select source_file, format, status, rows_loaded, rows_rejected "
        "from staging.load_ledger order by source_file",
    )
    loaded = {row[0]: row[1:] for row in rows}
    assert loaded["crawler_export.jsonl"] == ("generic", "loaded", 4, 0)
    assert loaded["scraper_comments.csv"] == ("generic", "loaded", 4, 0)
    assert loaded["scraper_custom.csv"] == ("generic", "loaded", 2, 0)
    assert "comments_sources.yml" not in loaded  # the mapping is not a dump

    scraped = query(
        runs["day1"],
        "select author_name, published_at, json_extract_string(raw, '$.published') "
        "from staging.comments where source_file = 'scraper_comments.csv' "
        "order by position",
    )
    assert [(r[0], r[2]) for r in scraped] == [
        ("Dewi Lestari", "4 minggu yang lalu"),
        ("Tom H.", "3 years ago (edited)"),
        ("Jonas", "vor 2 Tagen"),
        ("Tom H.", "2 days ago"),
    ]
    # relative to the file's mtime (no scrape time in the file, no mapping entry)
    assert scraped[2][1].astimezone(UTC) == datetime(2026, 11, 17, 12, 0, tzinfo=UTC)


def test_ids_are_stable_across_reruns_and_re_exports(runs) -> None:
    day1 = set(
        query(runs["day1"], "select comment_text, comment_id from marts.fct_comments "
              "where platform = 'youtube'")
    )  # fmt: skip
    day2 = query(
        runs["snapshot"],
        "select comment_text, comment_id, observation_count from marts.fct_comments "
        "where platform = 'youtube'",
    )

    assert day1 <= {(text, cid) for text, cid, _ in day2}
    assert "Still watching in 2026" in {text for text, _, _ in day2}  # new in the re-crawl
    observations = {text: n for text, _, n in day2}
    assert observations["Agreed, the descent footage at 2:45 is unreal"] == 2
    assert observations["Immer noch beeindruckend."] == 3  # scraper CSV, custom CSV, re-export
    assert len(day2) == len(day1) + 1

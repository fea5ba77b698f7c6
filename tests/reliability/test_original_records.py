"""The original record is recoverable for every format: each dump below is loaded (discover ->
parse -> load) and rebuilt from `staging.comments.raw` alone, then compared with what was written.

`raw` is JSON: the record's own object for the JSON formats (nested replies are rows of their
own), the row as header -> cell for CSV, and the comment's block of lines for scraped pages.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from tests.reliability.helpers import counts, make_settings, query, run_steps

VIDEO = "jNQXAC9IVRw"
#: Text the readers or normalization change in `text` (HTML, CRLF, U+FEFF, spaces, joiners),
#: so a `raw` rebuilt from the cleaned columns would not match.
TRICKY = "Tom &amp; Jerry <b>bold</b>\r\n\r\n  spaced   out\ufeff 👨\u200d👩\u200d👧"

HN_ITEMS: list[dict[str, Any]] = [
    {"by": "pg", "id": 100, "kids": [101, 103], "time": 1175714200, "title": "A story",
     "type": "story", "url": "https://example.org/"},
    {"by": "alice", "id": 101, "kids": [102], "parent": 100, "text": "<p>" + TRICKY + "</p>",
     "time": 1175714300, "type": "comment", "score": 4},
    {"by": "bob", "id": 102, "parent": 101, "text": "Re: it&#x27;s <i>fine</i>",
     "time": 1175714400, "type": "comment", "future_field": {"nested": [1, None]}},
    {"deleted": True, "id": 103, "parent": 100, "time": 1175714500, "type": "comment"},
]  # fmt: skip


def _yt_comment(cid: str, text: str, parent: str | None = None) -> dict[str, Any]:
    snippet: dict[str, Any] = {
        "channelId": "UC4QobU6STFB0P71PMvOGN5A",
        "videoId": VIDEO,
        "textDisplay": text,
        "textOriginal": text,
        "authorDisplayName": "@" + cid,
        "authorChannelUrl": "http://www.youtube.com/@" + cid,
        "authorChannelId": {"value": "UC" + cid},
        "canRate": True,
        "viewerRating": "none",
        "likeCount": 3,
        "publishedAt": "2024-04-23T18:04:11Z",
        "updatedAt": "2024-04-23T18:04:11Z",
    }
    if parent:
        snippet["parentId"] = parent
    return {"kind": "youtube#comment", "etag": "e-" + cid, "id": cid, "snippet": snippet}


YT_PAGE: dict[str, Any] = {
    "kind": "youtube#commentThreadListResponse",
    "etag": "page-etag",
    "pageInfo": {"totalResults": 2, "resultsPerPage": 20},
    "items": [
        {
            "kind": "youtube#commentThread",
            "etag": "t1",
            "id": "Ugz1",
            "snippet": {
                "channelId": "UC4QobU6STFB0P71PMvOGN5A",
                "videoId": VIDEO,
                "topLevelComment": _yt_comment("Ugz1", TRICKY),
                "canReply": True,
                "totalReplyCount": 2,
                "isPublic": True,
            },
            "replies": {
                "comments": [
                    _yt_comment("Ugz1.r1", "first reply", parent="Ugz1"),
                    _yt_comment("Ugz1.r2", "second reply 🐘", parent="Ugz1"),
                ]
            },
        },
        {
            "kind": "youtube#commentThread",
            "etag": "t2",
            "id": "Ugz2",
            "snippet": {
                "channelId": "UC4QobU6STFB0P71PMvOGN5A",
                "videoId": VIDEO,
                "topLevelComment": _yt_comment("Ugz2", "no replies here"),
                "canReply": False,
                "totalReplyCount": 0,
                "isPublic": True,
            },
        },
    ],
}

CSV_HEADER = ["COMMENT_ID", "AUTHOR", "DATE", "CONTENT", "CLASS", "note"]
CSV_ROWS = [
    ["c-1", "Ana", "2013-11-07T06:20:48", TRICKY, "0", ""],
    ["c-2", "  Ben  ", "07.11.2013", 'He said "subscribe"\nand "I did"', "1", "x,y"],
    ["c-3", "Cleo", "", "<a href='http://spam'>free</a>", "1", "  padded  "],
]

PAGE = (
    "The landing page\n"
    "\n"
    "A description paragraph.\n"
    "\n"
    "Comments 3\n"
    "\n"
    "  1. First comment   with  spaces\n"
    "\n"
    "  2. Second comment, first paragraph\r\n"
    "\r\n"
    "      second paragraph, indented\r\n"
    "\n"
    "  3. " + TRICKY.replace("\r\n", " ") + "\n"
)

GENERIC_DOCUMENT: dict[str, Any] = {
    "post": {"title": "A post"},
    "comments": [
        {
            "commentId": "g1",
            "content": TRICKY,
            "user": {"name": "Ana", "id": "u1"},
            "createdAt": "2024-05-01T10:00:00Z",
            "replies": [
                {"commentId": "g2", "content": "a reply", "likes": "1.5K"},
                {"commentId": "g3", "content": "another reply", "extra": [1, 2]},
            ],
        },
        {"commentId": "g4", "content": "second top-level", "createdAt": "3 days ago"},
    ],
}

SCRAPER_HEADER = ["video_id", "author", "published", "text", "likes"]
SCRAPER_ROWS = [
    [VIDEO, "Dewi", "4 minggu yang lalu", "Luar biasa, semoga  bisa", "12"],
    [VIDEO, "Tom H.", "3 years ago (edited)", TRICKY, "1.2K"],
]

MAPPED_RECORDS = [
    {"uuid": "3f6c-1", "body": TRICKY, "who": "orbit", "page": f"https://youtu.be/{VIDEO}"},
    {"uuid": "3f6c-2", "body": "second", "who": "mars", "page": f"https://youtu.be/{VIDEO}",
     "in_reply": "3f6c-1"},
]  # fmt: skip
MAPPING = """\
sources:
  - match: "crawler_*.jsonl"
    content_id_field: page
    fields:
      comment_id: null
      text: body
      author_name: who
      parent_comment_id: in_reply
"""

REDDIT_RECORDS = [
    {"id": "r1", "body": TRICKY, "author": "someone", "created_utc": 1735689600,
     "link_id": "t3_p1", "parent_id": "t3_p1", "score": None, "subreddit": "test",
     "edited": False, "awards": []},
    {"id": "r2", "body": "&gt; quoted", "author": "[deleted]", "created_utc": "1735689700",
     "link_id": "t3_p1", "parent_id": "t1_r1", "score": 2, "subreddit": "test"},
]  # fmt: skip

YTCD_RECORDS = [
    {"cid": "Ugy1", "text": TRICKY, "time": "1 year ago", "author": "@a", "channel": "UCa",
     "votes": "1.2K", "replies": "1", "photo": "https://yt3.example/a.jpg", "heart": False,
     "reply": False, "time_parsed": 1700000000.0},
    {"cid": "Ugy1.r", "text": "reply", "time": "1 year ago (edited)", "author": "@b",
     "channel": "UCb", "votes": "", "replies": "", "photo": "", "heart": True, "reply": True,
     "time_parsed": 1700000100.0},
]  # fmt: skip


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


#: landing path -> file text.
DUMPS = {
    "hn/items_100.jsonl": _jsonl(HN_ITEMS),
    "yt/youtube_api_page.json": json.dumps(YT_PAGE, indent=2, ensure_ascii=False),
    "csv/Youtube01-Psy.csv": _csv(CSV_HEADER, CSV_ROWS),
    "web/landing_page.txt": PAGE,
    "generic/export.json": json.dumps(GENERIC_DOCUMENT, indent=1, ensure_ascii=False),
    "generic/scraper_comments.csv": _csv(SCRAPER_HEADER, SCRAPER_ROWS),
    "mapped/crawler_a.jsonl": _jsonl(MAPPED_RECORDS),
    "mapped/comments_sources.yml": MAPPING,
    "reddit/RC_2025-01.ndjson": _jsonl(REDDIT_RECORDS),
    f"ytcd/{VIDEO}.jsonl": _jsonl(YTCD_RECORDS),
}
LOADED = {name for name in DUMPS if not name.endswith(".yml")}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("originals"))
    for name, text in DUMPS.items():
        path = settings.landing_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))  # bytes: CRLF stays CRLF
    summary = run_steps(settings, "run1")
    return settings, summary


def raws(settings, source_file: str) -> list[Any]:
    """`raw` of the file's comments, decoded, in record order (then position)."""
    rows = query(
        settings.warehouse,
        "select raw from staging.comments where source_file = ? order by record_number, position",
        [source_file],
    )
    return [json.loads(raw) for (raw,) in rows]


def test_every_dump_loads_whole(loaded) -> None:
    settings, summary = loaded
    rows = query(
        settings.warehouse,
        "select source_file, format, status, rows_loaded, rows_rejected from staging.load_ledger",
    )
    assert {row[0]: row[1:] for row in rows} == {
        "hn/items_100.jsonl": ("hackernews", "loaded", 3, 0),
        "yt/youtube_api_page.json": ("youtube_api", "loaded", 4, 0),
        "csv/Youtube01-Psy.csv": ("csv_export", "loaded", 3, 0),
        "web/landing_page.txt": ("page_text", "loaded", 3, 0),
        "generic/export.json": ("generic", "loaded", 4, 0),
        "generic/scraper_comments.csv": ("generic", "loaded", 2, 0),
        "mapped/crawler_a.jsonl": ("generic", "loaded", 2, 0),
        "reddit/RC_2025-01.ndjson": ("reddit", "loaded", 2, 0),
        f"ytcd/{VIDEO}.jsonl": ("ytcd", "loaded", 2, 0),
    }
    assert summary["files_loaded"] == len(LOADED)
    assert counts(settings.warehouse)["comments"] == 25
    # every comment has its original record
    missing = query(settings.warehouse, "select count(*) from staging.comments where raw is null")
    assert missing == [(0,)]


def test_hacker_news_items(loaded) -> None:
    settings, _ = loaded
    assert raws(settings, "hn/items_100.jsonl") == [i for i in HN_ITEMS if i["type"] == "comment"]


def test_youtube_api_threads_rebuilt_from_their_rows(loaded) -> None:
    settings, _ = loaded
    records = raws(settings, "yt/youtube_api_page.json")
    threads = [r for r in records if r["kind"] == "youtube#commentThread"]
    for thread in threads:
        top = thread["snippet"]["topLevelComment"]["id"]
        replies = [
            r for r in records if r["kind"] == "youtube#comment" and r["id"].startswith(top + ".")
        ]
        if replies:
            thread["replies"] = {"comments": replies}
    assert threads == YT_PAGE["items"]
    assert len(records) == 4


def test_csv_rows_as_read(loaded) -> None:
    settings, _ = loaded
    expected = list(csv.DictReader(io.StringIO(DUMPS["csv/Youtube01-Psy.csv"], newline="")))
    assert raws(settings, "csv/Youtube01-Psy.csv") == expected
    assert expected == [dict(zip(CSV_HEADER, row, strict=True)) for row in CSV_ROWS]


def test_page_text_blocks_exactly(loaded) -> None:
    settings, _ = loaded
    blocks = raws(settings, "web/landing_page.txt")
    assert len(blocks) == 3
    assert "".join(blocks) == PAGE[PAGE.index("  1. ") :]  # CRLF, spaces, U+FEFF included


def test_generic_json_records_and_nested_replies(loaded) -> None:
    settings, _ = loaded
    records = raws(settings, "generic/export.json")
    by_id = {r["commentId"]: r for r in records}
    parents = dict(
        query(
            settings.warehouse,
            "select comment_id, parent_comment_id from staging.comments "
            "where source_file = 'generic/export.json'",
        )
    )
    rebuilt = []
    for record in records:
        if parents[record["commentId"]] is None:
            replies = [by_id[c] for c, p in sorted(parents.items()) if p == record["commentId"]]
            rebuilt.append({**record, "replies": replies} if replies else record)
    assert rebuilt == GENERIC_DOCUMENT["comments"]


def test_generic_csv_rows_as_read(loaded) -> None:
    settings, _ = loaded
    assert raws(settings, "generic/scraper_comments.csv") == [
        dict(zip(SCRAPER_HEADER, row, strict=True)) for row in SCRAPER_ROWS
    ]


def test_mapped_dump_keeps_its_own_ids_in_raw(loaded) -> None:
    settings, _ = loaded
    assert raws(settings, "mapped/crawler_a.jsonl") == MAPPED_RECORDS
    ids = query(
        settings.warehouse,
        "select comment_id from staging.comments where source_file = 'mapped/crawler_a.jsonl'",
    )
    assert all(cid.startswith("d_") for (cid,) in ids)  # derived ids; the dump's are in raw


def test_reddit_records(loaded) -> None:
    settings, _ = loaded
    assert raws(settings, "reddit/RC_2025-01.ndjson") == REDDIT_RECORDS


def test_ytcd_records(loaded) -> None:
    settings, _ = loaded
    assert raws(settings, f"ytcd/{VIDEO}.jsonl") == YTCD_RECORDS


def test_the_rebuilt_records_are_the_files_not_the_cleaned_columns(loaded) -> None:
    """Guard against a `raw` rebuilt from normalized columns: the texts differ from `raw`."""
    settings, _ = loaded
    rows = query(
        settings.warehouse,
        "select text, raw from staging.comments where source_file = 'csv/Youtube01-Psy.csv' "
        "order by record_number",
    )
    text, raw = rows[0]
    assert json.loads(raw)["CONTENT"] == TRICKY
    assert text != TRICKY  # CRLF, spaces and U+FEFF cleaned in `text` (HTML: see comment_text)

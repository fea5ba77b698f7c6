"""Dumps of other layouts: the generic reader, the mapping file, derived ids, relative times.

Fixtures (`tests/fixtures/generic/`, made for these tests): a home-made crawler's JSON lines
(its own UUID `id`, `text`, `author`, post `url`, `is_reply`, a `parent_id` that matches no
`id`, no timestamps), a scraper's CSV without an id column whose `published` is a localized
relative time, the same scraper with German column names (needs the mapping), and the example
mapping file `comments_sources.yml`.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from comment_etl.formats.base import FileUnreadable
from comment_etl.formats.generic import content_from_url, derived_id
from comment_etl.formats.mapping import ENV_VAR, hints_for
from comment_etl.records import Comment, Content, Reject
from tests.format_helpers import comments, read_records

FIXTURES = Path(__file__).parent / "fixtures" / "generic"
CRAWLER = "crawler_export.jsonl"
SCRAPER = "scraper_comments.csv"
CUSTOM = "scraper_custom.csv"
MAPPING = "comments_sources.yml"
#: The mapping's scraped_at, and a different file mtime for the unmapped fallback.
SCRAPED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
MTIME = datetime(2025, 11, 20, 8, 0, tzinfo=UTC)


def landing(tmp_path: Path, *names: str, mapping: bool) -> Path:
    folder = tmp_path / ("mapped" if mapping else "plain")
    folder.mkdir()
    for name in names:
        shutil.copy(FIXTURES / name, folder / name)
        os.utime(folder / name, (MTIME.timestamp(), MTIME.timestamp()))
    if mapping:
        shutil.copy(FIXTURES / MAPPING, folder / MAPPING)
    return folder


def read(path: Path) -> tuple[str, list]:
    return read_records(path, **hints_for(path))


def raw(comment: Comment) -> dict:
    return json.loads(comment.raw or "{}")


def test_crawler_jsonl_loads_without_a_mapping(tmp_path: Path) -> None:
    folder = landing(tmp_path, CRAWLER, mapping=False)
    name, records = read(folder / CRAWLER)
    found = comments(records)

    assert name == "generic"
    assert not [r for r in records if isinstance(r, Reject)]
    assert [c.comment_id for c in found][:2] == [
        "3f6c1d2e-8a41-4b7e-9c55-0d2f7a9b1e01",
        "a91b7c44-2f0d-4c3a-8e1b-5d6e7f809a12",
    ]
    # platform and video id come from the post URL
    assert {(c.platform, c.content_id) for c in found} == {("youtube", "4czjS9h4Fpg")}
    contents = [r for r in records if isinstance(r, Content)]
    assert [c.url for c in contents] == ["https://www.youtube.com/watch?v=4czjS9h4Fpg"]
    # a parent that matches no id of the dump is kept: a reply to a comment we do not have
    assert [c.parent_comment_id for c in found] == [
        None,
        "UgzK3vJq7m5Xr2Tn1wR4AaABAg",
        None,
        "UgwP8sLm2Qx4Vb7Nc9Yz4AaABAg",
    ]
    assert [raw(c)["is_reply"] for c in found] == [False, True, False, True]
    assert [c.author_name for c in found][2] == "Kathrin W."
    assert all(c.published_at is None for c in found)  # no timestamps: NULL, not invented


def test_crawler_jsonl_with_the_mapping_gets_stable_derived_ids(tmp_path: Path) -> None:
    folder = landing(tmp_path, CRAWLER, mapping=True)
    _, first = read(folder / CRAWLER)
    _, again = read(folder / CRAWLER)
    ids = [c.comment_id for c in comments(first)]

    assert ids == [c.comment_id for c in comments(again)]
    assert all(i.startswith("d_") for i in ids) and len(set(ids)) == 4
    # the crawler's own UUID is not lost
    assert raw(comments(first)[0])["id"] == "3f6c1d2e-8a41-4b7e-9c55-0d2f7a9b1e01"
    # a re-crawl: new UUIDs, another order, one comment more -> the same ids for the same ones
    lines = (FIXTURES / CRAWLER).read_text(encoding="utf-8").splitlines()
    recrawl = [json.loads(line) for line in reversed(lines)]
    for number, record in enumerate(recrawl):
        record["id"] = f"00000000-0000-4000-8000-{number:012d}"
    recrawl.append({**recrawl[0], "text": "A new comment", "id": "new"})
    path = folder / "crawler_export_2.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in recrawl), encoding="utf-8")
    _, records = read(path)
    reexported = {c.text: c.comment_id for c in comments(records)}

    assert {c.text: c.comment_id for c in comments(first)}.items() <= reexported.items()
    assert len(reexported) == 5


def test_scraper_csv_without_ids_resolves_relative_times_against_the_file_mtime(
    tmp_path: Path,
) -> None:
    folder = landing(tmp_path, SCRAPER, mapping=False)
    name, records = read(folder / SCRAPER)
    found = comments(records)

    assert name == "generic"
    assert [c.published_at for c in found] == [
        datetime(2025, 10, 23, 8, 0, tzinfo=UTC),  # 4 minggu yang lalu (4 weeks)
        datetime(2022, 11, 20, 8, 0, tzinfo=UTC),  # 3 years ago (edited)
        datetime(2025, 11, 18, 8, 0, tzinfo=UTC),  # vor 2 Tagen
        datetime(2025, 11, 18, 8, 0, tzinfo=UTC),  # 2 days ago
    ]
    # raw: the row as read, so the original time string too
    assert raw(found[1]) == {
        "video_id": "4czjS9h4Fpg",
        "author": "Tom H.",
        "published": "3 years ago (edited)",
        "text": "Watched it live, still the best 7 minutes of my life",
        "likes": "1.2K",
    }
    assert [c.retrieved_at for c in found] == [None] * 4  # so the base was the file's mtime
    assert [c.like_count for c in found] == [12, 1200, 0, 3]
    assert {(c.platform, c.content_id) for c in found} == {("youtube", "4czjS9h4Fpg")}
    # the same author posting the same text twice: two comments, two ids
    assert found[1].text == found[3].text and found[1].comment_id != found[3].comment_id
    assert len({c.comment_id for c in found}) == 4


def test_mapping_gives_the_scrape_time_and_reads_uncommon_column_names(tmp_path: Path) -> None:
    folder = landing(tmp_path, SCRAPER, CUSTOM, mapping=True)
    _, plain = read(folder / SCRAPER)
    name, custom = read(folder / CUSTOM)

    assert name == "generic"
    assert comments(plain)[0].published_at == datetime(2026, 10, 23, 8, 0, tzinfo=UTC)
    by_text = {c.text: c for c in comments(custom)}
    assert by_text["Immer noch beeindruckend."].published_at == datetime(
        2026, 11, 18, 8, 0, tzinfo=UTC
    )
    assert by_text["Immer noch beeindruckend."].author_name == "Jonas"
    assert by_text["Immer noch beeindruckend."].retrieved_at == SCRAPED
    # an overlapping export in another layout gives the same comments the same ids
    plain_ids = {c.text: c.comment_id for c in comments(plain)}
    assert all(plain_ids[text] == c.comment_id for text, c in by_text.items())


def test_uncommon_column_names_need_the_mapping(tmp_path: Path) -> None:
    folder = landing(tmp_path, CUSTOM, mapping=False)
    with pytest.raises(FileUnreadable, match="no comment_id column"):
        read(folder / CUSTOM)


def test_a_broken_mapping_fails_the_file_and_names_the_mapping(tmp_path: Path) -> None:
    folder = landing(tmp_path, CRAWLER, mapping=False)
    (folder / MAPPING).write_text(
        "sources:\n  - match: 'crawler_*'\n    feilds: {text: body}\n", encoding="utf-8"
    )
    with pytest.raises(FileUnreadable, match=r"'comments_sources.yml', source 1: unknown key"):
        hints_for(folder / CRAWLER)


def test_the_env_var_points_at_a_mapping_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = landing(tmp_path, CRAWLER, mapping=False)
    elsewhere = tmp_path / "config.yml"
    elsewhere.write_text(
        "sources:\n  - match: '*.jsonl'\n    platform: web\n    content_id: landing-2021\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(ENV_VAR, str(elsewhere))
    _, records = read(folder / CRAWLER)

    assert {(c.platform, c.content_id) for c in comments(records)} == {("web", "landing-2021")}


def test_json_document_with_nested_replies(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps(
            {
                "post": {"title": "t"},
                "comments": [
                    {
                        "commentId": "c1",
                        "content": "top",
                        "user": {"name": "Ana", "id": "u1"},
                        "createdAt": "2024-05-01T10:00:00Z",
                        "replies": [{"commentId": "c2", "content": "reply", "likes": "1.5K"}],
                    },
                    {"commentId": "c3", "content": ""},
                ],
            },
            indent=1,  # a document: record numbers are indexes in its list
        ),
        encoding="utf-8",
    )
    name, records = read_records(path)
    found = comments(records)

    assert name == "generic"
    assert [(c.comment_id, c.parent_comment_id) for c in found] == [("c1", None), ("c2", "c1")]
    assert (found[0].author_name, found[0].author_id) == ("Ana", "u1")
    assert found[0].published_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert found[1].like_count == 1500
    # raw: each record's own object; the reply is not repeated inside its parent's
    assert [raw(c) for c in found] == [
        {
            "commentId": "c1",
            "content": "top",
            "user": {"name": "Ana", "id": "u1"},
            "createdAt": "2024-05-01T10:00:00Z",
        },
        {"commentId": "c2", "content": "reply", "likes": "1.5K"},
    ]
    rejects = [r for r in records if isinstance(r, Reject)]
    assert [(r.record_number, r.reason) for r in rejects] == [
        (2, "record without text (no text field, or it is empty)")
    ]


def test_content_from_url_and_derived_id() -> None:
    assert content_from_url("https://youtu.be/4czjS9h4Fpg?t=3") == ("youtube", "4czjS9h4Fpg")
    assert content_from_url("https://old.reddit.com/r/space/comments/1hqxyz0/x/") == (
        "reddit",
        "1hqxyz0",
    )
    assert content_from_url("https://news.ycombinator.com/item?id=8863") == ("hackernews", "8863")
    assert content_from_url("https://example.com/post/1") is None
    assert derived_id("youtube", "v", "a", "same  text\n", 1) == derived_id(
        "youtube", "v", "a", "same text", 1
    )
    assert derived_id("youtube", "v", "a", "same text", 1) != derived_id(
        "youtube", "v", "a", "same text", 2
    )


def test_a_repeated_id_is_rejected_and_the_first_kept(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl"
    lines = [
        {"id": "x1", "text": "first", "url": "https://youtu.be/4czjS9h4Fpg"},
        {"id": "x1", "text": "second", "url": "https://youtu.be/4czjS9h4Fpg"},
        "not an object",
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    _, records = read_records(path)

    assert [c.text for c in comments(records)] == ["first"]
    rejects = [(r.record_number, r.reason) for r in records if isinstance(r, Reject)]
    assert rejects == [
        (2, "duplicate comment id 'x1' in this file (the first is kept)"),
        (3, "expected a JSON object, got str"),
    ]

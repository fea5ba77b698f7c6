"""Hacker News items: bundles, arrays, single items and JSON lines."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zstandard

from comment_etl.records import Comment, Content, Reject
from tests.format_helpers import comments, read_records

FIXTURES = Path(__file__).parent / "fixtures" / "formats" / "hackernews"


STORY = Content(
    platform="hackernews",
    content_id="8863",
    title="My YC app: Dropbox - Throw away your USB drive",
    description="http://www.getdropbox.com/u/2/screencast.html",  # a link story: its link
    url="https://news.ycombinator.com/item?id=8863",
    channel="dhouston",
    published_at=datetime(2007, 4, 4, 19, 16, 40, tzinfo=UTC),
)


@pytest.mark.parametrize("kind", ["plain", "gzip", "zstd"])
def test_story_bundle(tmp_path: Path, kind: str) -> None:
    path = FIXTURES / "thread_8863.json"
    if kind == "gzip":
        path = tmp_path / "thread_8863.json.gz"
        path.write_bytes(gzip.compress((FIXTURES / "thread_8863.json").read_bytes()))
    elif kind == "zstd":
        path = tmp_path / "thread_8863.json.zst"
        data = (FIXTURES / "thread_8863.json").read_bytes()
        path.write_bytes(zstandard.ZstdCompressor().compress(data))

    name, records = read_records(path)

    assert name == "hackernews"
    assert [r for r in records if isinstance(r, Content)] == [STORY]
    assert [r for r in records if isinstance(r, Reject)] == []
    got = comments(records)
    assert [(c.comment_id, c.content_id, c.parent_comment_id, c.record_number) for c in got] == [
        ("8952", "8863", None, 2),  # record 1 is the story
        ("9224", "8863", "8952", 3),
        ("8917", "8863", None, 4),
        ("9001", "8863", "8952", 5),
        ("9100", "8863", None, 6),
    ]
    assert got[0].text == (
        "I have a few qualms with this app:\n\n"
        "1. For a Linux user, you can already build such a system yourself quite trivially "
        "with FTP, curlftpfs & SVN.\n\n"
        "2. It doesn't actually replace a USB drive."
    )
    assert got[1].text == "thanks for the feedback! try it at http://www.getdropbox.com/"
    assert got[4].text == (
        'Use rsync > "sync":\n\n  rsync -av ~/docs host:\n\n'
        "See the rsync site (https://rsync.samba.org/)."
    )
    assert (got[0].author_name, got[0].author_id, got[0].reply_count) == ("BrandonM", "BrandonM", 2)
    assert got[0].published_at == datetime(2007, 4, 5, 23, 47, tzinfo=UTC)
    deleted = got[2]
    assert (deleted.is_deleted, deleted.text, deleted.author_name) == (True, None, None)
    bundle = json.loads((FIXTURES / "thread_8863.json").read_text(encoding="utf-8"))
    item = next(c for c in bundle["comments"] if c["id"] == int(deleted.comment_id))
    assert item["deleted"] is True
    assert json.loads(deleted.raw or "") == item  # the whole original item
    dead = got[3]
    assert (dead.is_deleted, dead.text, dead.author_name) == (True, "[flagged]", "cheapdeals")


def test_json_lines_without_the_story() -> None:
    name, records = read_records(FIXTURES / "items.jsonl")

    assert name == "hackernews"
    assert [(r.record_number, r.reason) for r in records if isinstance(r, Reject)] == [
        (3, "invalid JSON: unexpected end of data: line 1 column 51 (char 50)"),
        (5, "unsupported item type 'pollopt'"),
        (7, "comment without 'parent'"),
    ]
    # The story 2921506 is not in the file: the topmost parent reachable stands in for it.
    assert [r for r in records if isinstance(r, Content)] == [
        Content(
            platform="hackernews",
            content_id="2921506",
            url="https://news.ycombinator.com/item?id=2921506",
        ),
        Content(
            platform="hackernews",
            content_id="2999999",
            url="https://news.ycombinator.com/item?id=2999999",
        ),
    ]
    got = comments(records)
    assert [(c.comment_id, c.content_id, c.parent_comment_id, c.record_number) for c in got] == [
        ("2921983", "2921506", None, 1),
        ("2922097", "2921506", "2921983", 2),
        ("2922429", "2921506", "2921983", 4),
        ("3000001", "2999999", None, 6),
    ]
    first = (FIXTURES / "items.jsonl").read_text(encoding="utf-8").splitlines()[0]
    assert json.loads(got[0].raw or "") == json.loads(first)
    assert got[0].text == (
        "Aw shucks, guys ... you make me blush with your compliments.\n\n"
        "Tell you what, Ill make a deal: I'll keep writing if you keep reading. K?"
    )
    assert got[2].text == "Your posts are a treat & a half."


def test_array_of_items_walks_parents_up_to_the_story(tmp_path: Path) -> None:
    items = [
        {"id": 3, "type": "comment", "by": "c", "parent": 2, "time": 1300000003, "text": "deep"},
        {"id": 2, "type": "comment", "by": "b", "parent": 1, "time": 1300000002, "text": "mid"},
        {
            "id": 1,
            "type": "story",
            "by": "a",
            "time": 1300000001,
            "title": "Ask HN: <details> & A?",
            "text": "body<p>two",
            "kids": [2],
        },
    ]
    path = tmp_path / "items.json"
    path.write_text(json.dumps(items, indent=2), encoding="utf-8")

    name, records = read_records(path)

    assert name == "hackernews"
    assert records[0] == Content(
        platform="hackernews",
        content_id="1",
        title="Ask HN: <details> & A?",  # plain text, not HTML
        description="body\n\ntwo",
        url="https://news.ycombinator.com/item?id=1",
        channel="a",
        published_at=datetime(2011, 3, 13, 7, 6, 41, tzinfo=UTC),
    )
    assert [
        (c.comment_id, c.content_id, c.parent_comment_id, c.record_number)
        for c in comments(records)
    ] == [("3", "1", "2", 1), ("2", "1", None, 2)]


def test_a_single_item_object(tmp_path: Path) -> None:
    path = tmp_path / "2921983.json"
    path.write_text(
        '{\n "by": "norvig", "id": 2921983, "parent": 2921506, "text": "Aw shucks",\n'
        ' "time": 1314211127, "type": "comment"\n}',
        encoding="utf-8",
    )

    name, records = read_records(path)

    assert name == "hackernews"
    assert [type(r).__name__ for r in records] == ["Content", "Comment"]
    comment = records[1]
    assert isinstance(comment, Comment)
    assert (comment.content_id, comment.parent_comment_id, comment.record_number) == (
        "2921506",
        None,
        1,
    )

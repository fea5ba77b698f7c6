"""Reddit Pushshift / Arctic Shift NDJSON, read the way the parse step reads it."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import zstandard

from comment_etl.formats import reddit
from comment_etl.records import Comment, Content, Record, Reject, SourceFile
from tests.format_helpers import read_records

FIXTURES = Path(__file__).parent / "fixtures" / "formats" / "reddit"
SAMPLE = FIXTURES / "RC_2025-01_sample.ndjson"
THREAD = "https://www.reddit.com/r/dataengineering/comments/1hqxyz0/"


def by_id(records: list[Record]) -> dict[str, Comment]:
    return {r.comment_id: r for r in records if isinstance(r, Comment)}


@pytest.mark.parametrize("kind", ["plain", "gzip", "zstd"])
def test_sample_month(tmp_path: Path, kind: str) -> None:
    path = SAMPLE
    if kind == "gzip":
        path = tmp_path / "RC_2025-01.gz"
        path.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    elif kind == "zstd":  # the real dumps: zstd with a long window
        path = tmp_path / "RC_2025-01.zst"
        params = zstandard.ZstdCompressionParameters.from_level(3, window_log=27)
        path.write_bytes(
            zstandard.ZstdCompressor(compression_params=params).compress(SAMPLE.read_bytes())
        )

    name, records = read_records(path)

    assert name == "reddit"
    assert [(r.record_number, r.reason) for r in records if isinstance(r, Reject)] == [
        (7, "invalid JSON: unexpected end of data: line 1 column 99 (char 98)"),
        (8, "bad 'created_utc': could not convert string to float: 'yesterday'"),
    ]
    comments = by_id(records)
    assert list(comments) == ["m4abcd1", "m4abcd2", "c02abcd", "m4abcd3", "m4abcd4", "m4abcd7"]
    assert [c.record_number for c in comments.values()] == [1, 2, 3, 4, 5, 10]
    assert [(c.content_id, c.parent_comment_id) for c in comments.values()] == [
        ("1hqxyz0", None),  # parent t3_: top level
        ("1hqxyz0", "m4abcd1"),  # parent t1_: the comment, without prefix
        ("7nyzq", None),
        ("1hqxyz0", "m4abcd1"),
        ("1hqxyz0", None),
        ("1hr0abc", None),
    ]

    first = comments["m4abcd1"]
    assert first.text == "Stream them line by line with zstd -d --long=31 > not into memory."
    assert (first.author_name, first.author_id, first.like_count) == ("some_user", "t2_8xk2m1", 5)
    assert first.published_at == datetime(2025, 1, 1, 0, 0, tzinfo=UTC)
    assert first.retrieved_at == datetime(2025, 1, 1, 0, 1, tzinfo=UTC)
    assert first.updated_at is None  # edited: false
    assert first.is_deleted is False

    reply = comments["m4abcd2"]
    assert reply.like_count is None  # score: null
    assert reply.updated_at == datetime(2025, 1, 1, 1, 0, tzinfo=UTC)  # edited: epoch number

    old = comments["c02abcd"]  # 2009 schema: created_utc as a string, no permalink
    assert old.published_at == datetime(2009, 1, 1, tzinfo=UTC)
    assert old.text == "Reddit in 2009 & still no dark mode"
    assert old.retrieved_at == datetime(2015, 3, 8, 13, 19, 45, tzinfo=UTC)

    deleted = comments["m4abcd3"]
    assert (deleted.text, deleted.is_deleted, deleted.author_name) == (None, True, None)
    removed = comments["m4abcd4"]
    assert (removed.text, removed.is_deleted, removed.author_name) == (None, True, "mod_target")

    gone_author = comments["m4abcd7"]  # author [deleted], body kept
    assert (gone_author.text, gone_author.is_deleted, gone_author.author_name) == (
        "account gone, words stay",
        False,
        None,
    )
    assert gone_author.like_count == 3  # score "3"
    assert gone_author.updated_at == datetime(2025, 1, 1, 2, 53, 20, tzinfo=UTC)  # edited "..."
    assert gone_author.retrieved_at == datetime(2025, 1, 1, 2, 55, tzinfo=UTC)  # retrieved_utc

    contents = [r for r in records if isinstance(r, Content)]
    assert contents == [
        Content(platform="reddit", content_id="1hqxyz0", url=THREAD, channel="dataengineering"),
        Content(
            platform="reddit",
            content_id="7nyzq",
            url="https://www.reddit.com/r/reddit.com/comments/7nyzq/",
            channel="reddit.com",
        ),
        Content(  # the submission line: same id as the comments' link_id
            platform="reddit",
            content_id="1hqxyz0",
            title="How do you load comment dumps?",
            description="We get RC_*.zst files every month.\n\nHow do you load them?",
            url=THREAD,
            channel="dataengineering",
            published_at=datetime(2024, 12, 31, 23, 50, tzinfo=UTC),
        ),
        Content(
            platform="reddit",
            content_id="1hr0abc",
            url="https://www.reddit.com/r/dataengineering/comments/1hr0abc/",
            channel="dataengineering",
        ),
        Content(  # a link post: the link is its description
            platform="reddit",
            content_id="1hr0abc",
            title="DuckDB 2.0 released",
            description="https://duckdb.org/2026/01/01/announcing-duckdb-200",
            url="https://www.reddit.com/r/dataengineering/comments/1hr0abc/",
            channel="dataengineering",
            published_at=datetime(2025, 1, 1, 0, 6, 40, tzinfo=UTC),
        ),
    ]


def test_missing_link_id_and_wrong_types_name_the_field(tmp_path: Path) -> None:
    lines = [
        {"id": "a1", "author": "u", "body": "no link", "created_utc": 1, "subreddit": "s"},
        {"id": "a2", "body": 5, "link_id": "t3_x"},
        {"id": "a3", "body": "s", "link_id": "t3_x", "score": "many"},
        {"id": "a4", "body": "e", "link_id": "t3_x", "edited": "sometime"},
        {"name": "t1_a5", "body": "id from name", "link_id": "t3_x", "edited": True},
        ["not", "an", "object"],
    ]
    path = tmp_path / "RC_bad.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")

    name, records = read_records(path)

    assert name == "reddit"
    assert [(r.record_number, r.reason) for r in records if isinstance(r, Reject)] == [
        (1, "missing 'link_id'"),
        (2, "'body' is not a string"),
        (3, "bad 'score': invalid literal for int() with base 10: 'many'"),
        (4, "bad 'edited': could not convert string to float: 'sometime'"),
        (6, "expected a JSON object, got list"),
    ]
    comment = by_id(records)["a5"]
    assert (comment.record_number, comment.updated_at) == (5, None)


def test_the_file_is_streamed_not_loaded(tmp_path: Path) -> None:
    line = orjson.dumps({"id": "x", "body": "b" * 200, "link_id": "t3_p", "parent_id": "t3_p"})
    path = tmp_path / "RC_big.ndjson"
    path.write_bytes((line + b"\n") * 5000)  # ~1.2 MB
    source = SourceFile(path=str(path), name=path.name)

    with open(path, "rb") as stream:
        records = reddit.read(stream, source)
        assert isinstance(next(records), Content)
        assert isinstance(next(records), Comment)
        assert stream.tell() < 100_000  # only a buffer's worth was read so far
        assert sum(1 for _ in records) == 4999

"""The bad-input corpus: broken files fail as a whole, broken records are rejected one by one.

Files are built in tmp_path so every quirk is visible in the test that uses it.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest
import zstandard

from comment_etl.formats.base import (
    FileUnreadable,
    UnknownFormat,
    detect_format,
    open_decompressed,
)
from comment_etl.formats.registry import FORMATS
from comment_etl.parse.parse_file import INPUT_ERRORS
from comment_etl.records import Comment, Record, Reject, SourceFile
from tests.format_helpers import read_records


def rejects(records: list[Record]) -> list[tuple[int | None, str]]:
    return [(r.record_number, r.reason) for r in records if isinstance(r, Reject)]


def comment_ids(records: list[Record]) -> list[tuple[str, int | None]]:
    return [(r.comment_id, r.record_number) for r in records if isinstance(r, Comment)]


def reddit_line(comment_id: str, body: str = "text", **extra: object) -> bytes:
    record = {
        "author": "u",
        "body": body,
        "created_utc": 1735689600,
        "id": comment_id,
        "link_id": "t3_post1",
        "parent_id": "t3_post1",
        "subreddit": "sub",
        **extra,
    }
    return orjson.dumps(record)


def big_reddit_dump(lines: int = 4000) -> bytes:
    """~1 MB of comments: more than the 64 KiB sniffed, so detection succeeds on a cut file."""
    return b"".join(reddit_line(f"c{i}", "x" * 200) + b"\n" for i in range(lines))


# -- files that cannot be read to their end ---------------------------------------------------


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_truncated_compressed_file_fails_while_reading(tmp_path: Path, kind: str) -> None:
    data = big_reddit_dump()
    if kind == "gzip":
        packed = gzip.compress(data)
    else:
        packed = zstandard.ZstdCompressor(write_checksum=True).compress(data)
    path = tmp_path / f"RC_2025-01.{'gz' if kind == 'gzip' else 'zst'}"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    source = SourceFile(path=str(path), name=path.name)

    module = detect_format(path, source, FORMATS)  # the start decompresses fine
    assert module.NAME == "reddit"
    records: list[Record] = []
    with pytest.raises(INPUT_ERRORS) as failure, open_decompressed(path) as stream:
        records.extend(module.read(stream, source))
    expected = EOFError if kind == "gzip" else zstandard.ZstdError
    assert isinstance(failure.value, expected)
    assert len(records) > 1000  # it did stream records before the cut was reached


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_truncated_small_compressed_file_fails_at_detection(tmp_path: Path, kind: str) -> None:
    data = reddit_line("a") + b"\n" + reddit_line("b") + b"\n"
    packed = gzip.compress(data) if kind == "gzip" else zstandard.ZstdCompressor().compress(data)
    path = tmp_path / "small.gz"
    path.write_bytes(packed[:-10])

    with pytest.raises(FileUnreadable, match="cannot decompress the start of the file"):
        read_records(path)


@pytest.mark.parametrize("content", [b"", b"  \n\r\n\t", gzip.compress(b""), b"\xef\xbb\xbf\n"])
def test_empty_file_is_an_unknown_format(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)

    with pytest.raises(UnknownFormat, match="the file is empty"):
        read_records(path)


def test_binary_file_is_not_a_text_dump(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1" + b"\x00\x15\x04\x15\x00\x00" * 100)

    with pytest.raises(FileUnreadable, match="binary data"):
        read_records(path)


def test_invalid_json_document_fails_the_file(tmp_path: Path) -> None:
    path = tmp_path / "thread.json"
    path.write_text(
        '{\n "story": {"id": 1, "type": "story", "title": "t"},\n "comments": [\n', "utf-8"
    )

    with pytest.raises(FileUnreadable, match="invalid JSON document: invalid JSON"):
        read_records(path)


# -- bad records among good ones ---------------------------------------------------------------


def test_invalid_json_lines_are_rejected_with_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "RC.ndjson"
    path.write_bytes(
        b"\n".join(
            [
                reddit_line("a"),
                b'{"id": "b", "body": "cut',
                reddit_line("c"),
                b"not json at all",
                b"",
                reddit_line("e"),
                b'{"id": "f",}',
            ]
        )
        + b"\n"
    )

    name, records = read_records(path)

    assert name == "reddit"
    assert rejects(records) == [
        (2, "invalid JSON: unexpected end of data: line 1 column 25 (char 24)"),
        (4, "invalid JSON: invalid literal, expected 'null': line 1 column 1 (char 0)"),
        (7, "invalid JSON: trailing comma is not allowed: line 1 column 11 (char 10)"),
    ]
    assert comment_ids(records) == [("a", 1), ("c", 3), ("e", 6)]


def test_broken_first_line_of_json_lines_is_one_reject(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    good = orjson.dumps({"id": 2, "type": "comment", "parent": 1, "by": "b", "time": 1})
    path.write_bytes(b'{"id": 1, "type": "comment", "par\n' + good + b"\n")

    name, records = read_records(path)

    assert name == "hackernews"
    assert rejects(records) == [
        (1, "invalid JSON: unexpected end of data: line 1 column 34 (char 33)")
    ]
    assert comment_ids(records) == [("2", 2)]


LATIN1_LINE = reddit_line("b", "café").replace("café".encode(), "café".encode("latin-1"))


@pytest.mark.parametrize(
    ("name", "lines", "expected_format"),
    [
        (
            "RC.ndjson",
            [reddit_line("a"), LATIN1_LINE, reddit_line("c")],
            "reddit",
        ),
        (
            "jNQXAC9IVRw.jsonl",
            [
                b'{"cid": "a", "text": "ok", "votes": "1"}',
                '{"cid": "b", "text": "Grüße", "votes": "2"}'.encode("latin-1"),
                b'{"cid": "c", "text": "ok", "votes": "3"}',
            ],
            "ytcd",
        ),
        (
            "items.jsonl",
            [
                b'{"id": 1, "type": "story", "title": "t", "time": 1}',
                '{"id": 2, "type": "comment", "parent": 1, "text": "ñ"}'.encode("latin-1"),
                b'{"id": 3, "type": "comment", "parent": 1, "text": "ok"}',
            ],
            "hackernews",
        ),
    ],
)
def test_latin1_bytes_in_a_utf8_line_reject_that_line_only(
    tmp_path: Path, name: str, lines: list[bytes], expected_format: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"\n".join(lines) + b"\n")
    bad_offset = next(i for i, byte in enumerate(lines[1]) if byte >= 0x80)

    detected, records = read_records(path)

    assert detected == expected_format
    assert rejects(records) == [(2, f"invalid UTF-8 at byte {bad_offset}")]
    assert [record_number for _, record_number in comment_ids(records)] == (
        [1, 3] if expected_format != "hackernews" else [3]
    )


def test_latin1_bytes_in_a_youtube_api_page_line(tmp_path: Path) -> None:
    page = {
        "kind": "youtube#commentThreadListResponse",
        "items": [
            {
                "kind": "youtube#commentThread",
                "id": "T1",
                "snippet": {
                    "videoId": "v",
                    "topLevelComment": {"id": "T1", "snippet": {"textOriginal": "ok"}},
                },
            }
        ],
    }
    line = orjson.dumps(page)
    path = tmp_path / "pages.jsonl"
    path.write_bytes(line + b"\n" + line.replace(b'"ok"', '"olé"'.encode("latin-1")) + b"\n")

    _, records = read_records(path)

    assert rejects(records) == [(2, f"invalid UTF-8 at byte {line.index(b'ok') + 2}")]
    assert comment_ids(records) == [("T1", 1)]


def test_latin1_bytes_in_a_csv_row(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"COMMENT_ID,AUTHOR,DATE,CONTENT\r\n"
        b"a,x,,fine\r\n"
        + 'b,José,,"multi\r\nline with Ümlaut"\r\n'.encode("latin-1")
        + b"c,y,,also fine\r\n"
    )

    _, records = read_records(path)

    assert rejects(records) == [(3, "invalid UTF-8 at byte 5")]  # the é of José
    assert comment_ids(records) == [("a", 2), ("c", 5)]


def test_nul_bytes_reject_the_record(tmp_path: Path) -> None:
    nul_line = reddit_line("b", "before\x00after").replace(b"\\u0000", b"\x00")
    path = tmp_path / "RC.ndjson"
    path.write_bytes(reddit_line("a") + b"\n" + nul_line + b"\n" + reddit_line("c") + b"\n")

    _, records = read_records(path)

    nul_at = nul_line.index(b"\x00")
    assert rejects(records) == [(2, f"NUL byte at byte {nul_at}")]
    assert comment_ids(records) == [("a", 1), ("c", 3)]

    csv_path = tmp_path / "export.csv"
    csv_path.write_bytes(b"id,text\n1,ok\n2,bro\x00ken\n3,ok\n")
    _, records = read_records(csv_path)
    assert rejects(records) == [(3, "NUL byte at byte 5")]
    assert comment_ids(records) == [("1", 2), ("3", 4)]


def test_csv_row_with_a_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("id,author,date,text\n1,a,2020-01-01,ok\n2,b,2020-01-01\n3,c,,ok\n", "utf-8")

    _, records = read_records(path)

    assert rejects(records) == [(3, "row has 3 fields, the header has 4")]
    assert comment_ids(records) == [("1", 2), ("3", 4)]


# -- big and duplicate records ----------------------------------------------------------------


def test_a_single_5mb_comment_loads(tmp_path: Path) -> None:
    body = "long " * 1_000_000  # 5,000,000 characters, longer than the sniffed head
    path = tmp_path / "RC.ndjson.zst"
    # Pushshift key order: "author" and "body" come before "link_id" and "subreddit", which the
    # 5 MB body pushes out of the sniffed head.
    data = orjson.dumps({"author": "u", "body": body, "id": "big", "link_id": "t3_p"}) + b"\n"
    path.write_bytes(zstandard.ZstdCompressor().compress(data))

    name, records = read_records(path)

    assert name == "reddit"
    [comment] = [r for r in records if isinstance(r, Comment)]
    assert comment.text == body


def test_a_single_5mb_csv_field_loads(tmp_path: Path) -> None:
    text = "x" * 5_000_000
    path = tmp_path / "export.csv"
    path.write_text(f'id,text\n1,"{text}"\n2,small\n', encoding="utf-8")

    _, records = read_records(path)

    comments = [r for r in records if isinstance(r, Comment)]
    assert [len(c.text or "") for c in comments] == [5_000_000, 5]


def test_duplicate_ids_are_all_yielded_with_their_record_numbers(tmp_path: Path) -> None:
    reddit_path = tmp_path / "RC.ndjson"
    reddit_path.write_bytes(
        reddit_line("dup", "first") + b"\n" + reddit_line("x") + b"\n" + reddit_line("dup", "again")
    )
    csv_path = tmp_path / "export.csv"
    csv_path.write_text("id,text\nd,first\nd,again\n", encoding="utf-8")
    hn_path = tmp_path / "items.jsonl"
    hn_path.write_bytes(
        b'{"id": 5, "type": "comment", "parent": 1, "text": "a"}\n'
        b'{"id": 5, "type": "comment", "parent": 1, "text": "a"}\n'
    )

    assert comment_ids(read_records(reddit_path)[1]) == [("dup", 1), ("x", 2), ("dup", 3)]
    assert comment_ids(read_records(csv_path)[1]) == [("d", 2), ("d", 3)]
    assert comment_ids(read_records(hn_path)[1]) == [("5", 1), ("5", 2)]

"""youtube-comment-downloader output: JSON lines, `--pretty`, and the older `--format` array."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zstandard

from comment_etl.records import Content, Reject
from tests.format_helpers import comments, read_records

FIXTURES = Path(__file__).parent / "fixtures" / "formats" / "ytcd"
TOP = "UgwA1b2C3d4E5f6G7h8AaABAg"
PRETTY_TOP = "UgyNYCzq8rBlGrM2vrZ4AaABAg"


@pytest.mark.parametrize("kind", ["plain", "gzip", "zstd"])
def test_json_lines(tmp_path: Path, kind: str) -> None:
    path = FIXTURES / "jNQXAC9IVRw.jsonl"
    if kind == "gzip":
        path = tmp_path / "jNQXAC9IVRw.jsonl.gz"
        path.write_bytes(gzip.compress((FIXTURES / "jNQXAC9IVRw.jsonl").read_bytes()))
    elif kind == "zstd":
        path = tmp_path / "jNQXAC9IVRw.jsonl.zst"
        data = (FIXTURES / "jNQXAC9IVRw.jsonl").read_bytes()
        path.write_bytes(zstandard.ZstdCompressor().compress(data))

    name, records = read_records(path)

    assert name == "ytcd"
    assert records[0] == Content(
        platform="youtube",
        content_id="jNQXAC9IVRw",  # from the file name
        url="https://www.youtube.com/watch?v=jNQXAC9IVRw",
    )
    got = comments(records)
    assert len(records) == 1 + len(got) == 5
    assert [(c.comment_id, c.parent_comment_id, c.record_number) for c in got] == [
        (TOP, None, 1),
        (f"{TOP}.9bXyZ0aBcDe9bXyZ1fGhIj", TOP, 2),
        ("UgxQ9w8E7r6T5y4U3i2OaABAg", None, 3),
        ("UgzZ1y2X3w4V5u6T7s8RaABAg", None, 4),
    ]
    # display strings: "1.2K", "3", "" (no likes shown), "1,234"
    assert [c.like_count for c in got] == [1200, 3, None, 1234]
    assert [c.reply_count for c in got] == [14, None, 0, 2]
    assert got[1].text == "not even close 😂\nsecond line"
    assert [c.published_at for c in got] == [
        datetime(2022, 5, 12, 8, 54, 38, tzinfo=UTC),
        datetime(2023, 5, 13, 17, 46, 40, tzinfo=UTC),
        None,  # no time_parsed: "3 weeks ago" is not turned into an invented date
        datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC),
    ]
    assert json.loads(got[1].raw or "")["time"] == "1 year ago (edited)"


def test_pretty_output_as_the_tool_writes_it() -> None:
    name, records = read_records(FIXTURES / "pretty" / "9bZkp7q19f0.json")

    assert name == "ytcd"
    assert records[0] == Content(
        platform="youtube",
        content_id="9bZkp7q19f0",
        url="https://www.youtube.com/watch?v=9bZkp7q19f0",
    )
    got = comments(records)
    assert [(c.comment_id, c.parent_comment_id, c.like_count, c.record_number) for c in got] == [
        (PRETTY_TOP, None, 12000, 1),
        (f"{PRETTY_TOP}.9uVw3Xy4Za59uVw4Bc5De6", PRETTY_TOP, None, 2),
    ]
    assert got[1].text == 'Oppa "Gangnam" style'
    assert [r for r in records if isinstance(r, Reject)] == [
        Reject.of(3, "'text' is not a string", '{"cid":"Ugw0","text":42}')
    ]


def test_pretty_output_with_windows_line_ends_and_bom(tmp_path: Path) -> None:
    text = (FIXTURES / "pretty" / "9bZkp7q19f0.json").read_text(encoding="utf-8")
    path = tmp_path / "9bZkp7q19f0.json"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))

    name, records = read_records(path)

    assert name == "ytcd"
    assert [c.comment_id for c in comments(records)] == [
        PRETTY_TOP,
        f"{PRETTY_TOP}.9uVw3Xy4Za59uVw4Bc5De6",
    ]


def test_format_option_json_array_and_video_id_hint(tmp_path: Path) -> None:
    lines = (FIXTURES / "jNQXAC9IVRw.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "download.comments"
    path.write_text(json.dumps([json.loads(line) for line in lines], indent=4), encoding="utf-8")

    name, records = read_records(path, video_id="jNQXAC9IVRw")

    assert name == "ytcd"
    assert isinstance(records[0], Content)
    assert records[0].content_id == "jNQXAC9IVRw"
    assert [(c.comment_id, c.record_number, c.like_count) for c in comments(records)] == [
        (TOP, 1, 1200),
        (f"{TOP}.9bXyZ0aBcDe9bXyZ1fGhIj", 2, 3),
        ("UgxQ9w8E7r6T5y4U3i2OaABAg", 3, None),
        ("UgzZ1y2X3w4V5u6T7s8RaABAg", 4, 1234),
    ]

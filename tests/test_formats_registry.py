"""Format detection: every fixture is recognised by exactly the reader meant for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from comment_etl.formats.base import UnknownFormat, detect_format, read_head
from comment_etl.formats.registry import FORMATS, by_name
from comment_etl.records import SourceFile

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures" / "formats"


def test_sniffing_order() -> None:
    assert [module.NAME for module in FORMATS] == [
        "youtube_api",
        "ytcd",
        "reddit",
        "hackernews",
        "generic",
        "csv_export",
        "page_text",
    ]
    assert by_name("reddit").NAME == "reddit"
    with pytest.raises(KeyError):
        by_name("nope")


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("formats/youtube_api/page.json", "youtube_api"),
        ("formats/youtube_api/pages.jsonl", "youtube_api"),
        ("formats/ytcd/jNQXAC9IVRw.jsonl", "ytcd"),
        ("formats/ytcd/pretty/9bZkp7q19f0.json", "ytcd"),
        ("formats/reddit/RC_2025-01_sample.ndjson", "reddit"),
        ("formats/hackernews/thread_8863.json", "hackernews"),
        ("formats/hackernews/items.jsonl", "hackernews"),
        ("formats/csv/Youtube01-Psy.csv", "csv_export"),
        ("formats/csv/chat_export.csv", "csv_export"),
        ("perseverance_landing_page.txt", "page_text"),
    ],
)
def test_each_fixture_is_detected_by_its_reader_only(relative: str, expected: str) -> None:
    path = TESTS / "fixtures" / relative
    source = SourceFile(path=str(path), name=path.name)

    assert expected == detect_format(path, source, FORMATS).NAME
    head = read_head(path)
    assert [m.NAME for m in FORMATS if m.sniff(head, source)] == [expected]


def test_extension_is_only_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "comments.csv"  # named .csv, holds Reddit JSON lines
    path.write_bytes((FIXTURES / "reddit" / "RC_2025-01_sample.ndjson").read_bytes())
    source = SourceFile(path=str(path), name=path.name)
    assert detect_format(path, source, FORMATS).NAME == "reddit"


def test_unrecognised_file_lists_the_readers_tried(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\nnothing like a dump\n", encoding="utf-8")
    source = SourceFile(path=str(path), name=path.name)

    with pytest.raises(UnknownFormat) as failure:
        detect_format(path, source, FORMATS)
    assert str(failure.value) == (
        "unknown format: none of the readers matched (tried youtube_api, ytcd, reddit, "
        "hackernews, generic, csv_export, page_text)"
    )

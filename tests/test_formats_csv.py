"""CSV exports: the UCI YouTube spam collection layout and a mapped custom export."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zstandard

from comment_etl.formats import csv_export, csvio
from comment_etl.formats.base import FileUnreadable
from comment_etl.records import Content, Reject, SourceFile
from tests.format_helpers import comments, read_records

FIXTURES = Path(__file__).parent / "fixtures" / "formats" / "csv"
UCI = FIXTURES / "Youtube01-Psy.csv"
CHAT_MAPPING = json.dumps(
    {
        "text": "Message",
        "comment_id": "MsgId",
        "author": "Sender",
        "date": "Sent",
        "video_id": "Video",
    }
)


@pytest.mark.parametrize("kind", ["plain", "gzip", "zstd"])
def test_uci_youtube_spam_collection_layout(tmp_path: Path, kind: str) -> None:
    path = UCI
    if kind == "gzip":
        path = tmp_path / "Youtube01-Psy.csv.gz"
        path.write_bytes(gzip.compress(UCI.read_bytes()))
    elif kind == "zstd":
        path = tmp_path / "Youtube01-Psy.csv.zst"
        path.write_bytes(zstandard.ZstdCompressor().compress(UCI.read_bytes()))

    name, records = read_records(path)

    assert name == "csv_export"
    assert records[0] == Content(platform="csv", content_id="Youtube01-Psy")  # the file stem
    assert [(r.record_number, r.reason) for r in records if isinstance(r, Reject)] == [
        (8, "row without text (column 'CONTENT' is empty)"),
        (9, "row has 3 fields, the header has 5"),
        (10, "bad published_at in column 'DATE': not a recognised date: '31/31/2013'"),
    ]
    got = comments(records)
    # record numbers are the rows' first lines: the quoted newline makes row 2 span lines 3-4
    assert [(c.comment_id, c.record_number, c.position) for c in got] == [
        ("LZQPQhLyRh80UYxNuaDWhIGQYNQ96IuCg-AYWqNPjpU", 2, 1),
        ("LZQPQhLyRh_C2cTtd9MvFRJedxydaVW-2sNg5Diuo4A", 3, 2),
        ("z13jhp0bxqncu512g22wvzkasxmvvzjaz04", 5, 3),
        ("z13fwbwp1oujthgqj04chlngpvzmtt3r3dw", 6, 4),
        ("z121wfnaiyjsvbqdz22gub4yvsfhyhpfz", 7, 5),
        ("z13epoch0000000000000000000000000", 11, 9),
    ]
    assert {(c.platform, c.content_id) for c in got} == {("csv", "Youtube01-Psy")}
    assert [c.text for c in got] == [
        "Huh, anyway check out this you[tube] channel: kobyoshi02",
        'He said "subscribe"\r\nand I did\ufeff',  # doubled quotes, quoted CRLF, U+FEFF as is
        "just for test I have to say murdev.com",
        "this song is awesome",
        "Psy is the best 😍",
        "epoch dated, with comma",
    ]
    assert [c.published_at for c in got] == [
        datetime(2013, 11, 7, 6, 20, 48, tzinfo=UTC),  # 2013-11-07T06:20:48
        datetime(2014, 1, 19, 0, 25, 5, tzinfo=UTC),  # 2014-01-19 00:25:05
        datetime(2013, 11, 8, 17, 34, 21, tzinfo=UTC),  # ...Z
        None,  # empty DATE
        datetime(2013, 11, 7, tzinfo=UTC),  # 07.11.2013
        datetime(2013, 11, 9, 12, 26, 40, tzinfo=UTC),  # epoch seconds
    ]
    assert got[0].author_name == "Julius NM"
    # raw: the whole row as read, header -> cell (quoted CRLF and U+FEFF as in the file)
    assert [json.loads(c.raw or "") for c in got[:2]] == [
        {
            "COMMENT_ID": "LZQPQhLyRh80UYxNuaDWhIGQYNQ96IuCg-AYWqNPjpU",
            "AUTHOR": "Julius NM",
            "DATE": "2013-11-07T06:20:48",
            "CONTENT": "Huh, anyway check out this you[tube] channel: kobyoshi02",
            "CLASS": "1",
        },
        {
            "COMMENT_ID": "LZQPQhLyRh_C2cTtd9MvFRJedxydaVW-2sNg5Diuo4A",
            "AUTHOR": "adam riyati",
            "DATE": "2014-01-19 00:25:05",
            "CONTENT": 'He said "subscribe"\r\nand I did\ufeff',
            "CLASS": "1",
        },
    ]


def test_configured_mapping_semicolons_and_content_column() -> None:
    name, records = read_records(FIXTURES / "chat_export.csv", csv_mapping=CHAT_MAPPING)

    assert name == "csv_export"
    assert [r for r in records if isinstance(r, Content)] == [
        Content(platform="csv", content_id="vid_A"),
        Content(platform="csv", content_id="vid_B"),
    ]
    got = comments(records)
    assert [(c.comment_id, c.content_id, c.author_name, c.like_count) for c in got] == [
        ("m-001", "vid_A", "Ana", 1200),  # "1.2K"
        ("m-002", "vid_A", "Ben", None),
        ("m-003", "vid_B", "Cleo", 3),
    ]
    assert got[1].text == "Semi;colons; inside"
    assert [c.published_at for c in got] == [
        datetime(2024, 5, 1, 8, 0, tzinfo=UTC),  # +02:00
        datetime(2024, 5, 1, 10, 5, tzinfo=UTC),
        datetime(2024, 5, 1, 11, 30, tzinfo=UTC),  # DD.MM.YYYY HH:MM
    ]
    assert json.loads(got[1].raw or "") == {
        "MsgId": "m-002",
        "Sender": "Ben",
        "Sent": "2024-05-01T10:05:00Z",
        "Message": "Semi;colons; inside",
        "Video": "vid_A",
        "Likes": "",
        "Channel": "@bens",
    }


def test_column_names_keep_the_header_and_name_empty_or_repeated_columns() -> None:
    assert csvio.column_names(["id", "", "text", "id"]) == [
        "id",
        "column_2",
        "text",
        "column_4",
    ]


def test_without_the_mapping_the_file_fails_naming_the_missing_column() -> None:
    with pytest.raises(FileUnreadable) as failure:
        read_records(FIXTURES / "chat_export.csv")
    assert str(failure.value) == (
        "CSV header has no comment_id column (looked for comment_id, commentid, cid, id; "
        "header: MsgId, Sender, Sent, Message, Video, Likes, Channel); set the csv_mapping hint"
    )


def test_header_without_a_text_column_fails_the_file(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("id,author,date\n1,a,2020-01-01\n", encoding="utf-8")

    with pytest.raises(FileUnreadable, match="CSV header has no text column"):
        read_records(path)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ("{not json", "csv_mapping hint is not valid JSON"),
        ('["text"]', "csv_mapping hint must be a JSON object of field -> column name"),
        ('{"txt": "Message"}', "csv_mapping hint: unknown field 'txt'"),
    ],
)
def test_a_malformed_mapping_fails_the_file(mapping: str, message: str) -> None:
    with pytest.raises(FileUnreadable, match=message):
        read_records(UCI, csv_mapping=mapping)


def test_mapping_for_other_files_falls_back_to_default_names() -> None:
    _, records = read_records(UCI, csv_mapping=CHAT_MAPPING)
    assert len(comments(records)) == 6


def test_content_and_platform_columns_and_hints(tmp_path: Path) -> None:
    path = tmp_path / "dump.csv"
    path.write_text(
        "comment_id,text,platform,video_id,parent_id,likes,published_at\n"
        "c1,hello,youtube,v1,,3,2020-01-01T00:00:00\n"
        "c2,reply,,,c1,,\n",
        encoding="utf-8",
    )

    _, records = read_records(path, platform="vimeo")

    got = comments(records)
    assert [(c.platform, c.content_id, c.parent_comment_id, c.like_count) for c in got] == [
        ("youtube", "v1", None, 3),
        ("vimeo", "dump", "c1", None),  # empty cells: the hint, then the file stem
    ]


def test_sniffing_by_header_without_csv_extension(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text("COMMENT_ID,AUTHOR,DATE,CONTENT\nx,a,,hi\n", encoding="utf-8")
    name, records = read_records(path)
    assert name == "csv_export"
    assert [c.comment_id for c in comments(records)] == ["x"]


def test_sniff_rejects_prose_with_commas() -> None:
    source = SourceFile(path="page.txt", name="page.txt")
    assert not csv_export.sniff("Mars, at last: the landing, explained\n\nSome text\n", source)
    assert not csv_export.sniff('{"id": 1, "text": "x"}\n', source)


def test_html_cells_become_text_and_raw_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "Youtube03-LMFAO.csv"
    path.write_text(
        "COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS\n"
        'a1,Corey,,"<a href=""http://www.youtube.com/watch?v=KQ6&amp;t=2m19s"">2:19</a> best",0\n'
        "a2,Jason,,I always end up coming back to this song<br />,0\n"
        "a3,Dana,,I <3 this & AT&T <grin>,0\n",
        encoding="utf-8",
    )
    _, records = read_records(path)
    got = comments(records)

    assert [c.text for c in got] == [
        "2:19 best",
        "I always end up coming back to this song",
        "I <3 this & AT&T <grin>",  # no HTML in it: as written
    ]
    assert json.loads(got[0].raw or "")["CONTENT"] == (
        '<a href="http://www.youtube.com/watch?v=KQ6&amp;t=2m19s">2:19</a> best'
    )

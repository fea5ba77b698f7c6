"""YouTube Data API v3 pages, read the way the parse step reads them."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zstandard

from comment_etl.formats import youtube_api
from comment_etl.formats.base import open_decompressed
from comment_etl.records import Comment, Content, Reject, SourceFile
from tests.format_helpers import comments, read_records

FIXTURES = Path(__file__).parent / "fixtures" / "formats" / "youtube_api"
VIDEO = "jNQXAC9IVRw"
TOP = "UgzK1m2uJq3XyZ4aB5d4AaABAg"
THREAD_B = "UgxPp5Qq6Rr7Ss8Tt9Uu0AaABAg"


def compressed(path: Path, tmp_path: Path, kind: str) -> Path:
    if kind == "plain":
        return path
    data = path.read_bytes()
    if kind == "gzip":
        out = tmp_path / (path.name + ".gz")
        out.write_bytes(gzip.compress(data))
    else:
        out = tmp_path / (path.name + ".zst")
        out.write_bytes(zstandard.ZstdCompressor().compress(data))
    return out


@pytest.mark.parametrize("kind", ["plain", "gzip", "zstd"])
def test_single_page_with_embedded_replies(tmp_path: Path, kind: str) -> None:
    name, records = read_records(compressed(FIXTURES / "page.json", tmp_path, kind))

    assert name == "youtube_api"
    assert records[0] == Content(
        platform="youtube",
        content_id=VIDEO,
        url=f"https://www.youtube.com/watch?v={VIDEO}",
        channel="UC4QobU6STFB0P71PMvOGN5A",
    )
    assert [r for r in records if not isinstance(r, Comment | Content)] == []
    got = comments(records)
    assert [(c.comment_id, c.parent_comment_id, c.record_number) for c in got] == [
        (TOP, None, 1),
        (f"{TOP}.9xYz1AbCdEf9xYz2GhIjKl", TOP, 2),  # snippet.parentId
        (f"{TOP}.9xYz3MnOpQr9xYz4StUvWx", TOP, 3),  # no parentId: the id prefix
        ("UgyQ8rT2sVw4xZ6bC8d0AaABAg", None, 4),
        ("Ugw7hJkL9mN1pQ3rS5t7AaABAg", None, 5),
    ]
    assert {c.content_id for c in got} == {VIDEO}
    assert [c.text for c in got] == [
        "This is where it all began <3\n19 years later 0:12 still iconic",  # textOriginal
        "thanks! the elephants were great",
        '@jawed agreed & thanks for "uploading"',  # textDisplay HTML -> text
        "\ufeffthe elephants have really, really, really long trunks",  # cleaned later
        "first comment I ever saw on here 🐘",
    ]
    assert [c.like_count for c in got] == [1520, 87, 2, 0, 12]
    assert [c.reply_count for c in got] == [3, None, None, 0, 0]
    assert [c.author_name for c in got] == [
        "@zoofan88",
        "@jawed",
        "@history_buff",
        "@elephant.trunks",
        None,
    ]
    assert got[0].author_id == "UCa1B2c3D4e5F6g7H8i9J0kL"
    assert got[4].author_id is None
    assert got[0].published_at == datetime(2024, 4, 23, 18, 4, 11, tzinfo=UTC)
    assert got[0].updated_at == datetime(2024, 4, 23, 18, 5, 40, tzinfo=UTC)
    assert got[2].published_at == datetime(2024, 4, 25, 9, 0, tzinfo=UTC)  # +02:00 -> UTC
    assert got[3].published_at == datetime(2023, 12, 31, 23, 59, 59, 500000, tzinfo=UTC)
    assert [c.retrieved_at for c in got] == [None] * 5
    assert [c.position for c in got] == [1, 2, 3, 4, 5]
    # raw: the thread as read, without its replies (each reply is a row with its own resource)
    page = json.loads((FIXTURES / "page.json").read_text(encoding="utf-8"))
    thread = page["items"][0]
    assert json.loads(got[0].raw or "") == {k: v for k, v in thread.items() if k != "replies"}
    assert json.loads(got[1].raw or "") == thread["replies"]["comments"][0]


def test_json_lines_of_pages_with_a_broken_line_and_a_reply_page() -> None:
    name, records = read_records(FIXTURES / "pages.jsonl")

    assert name == "youtube_api"
    rejects = [r for r in records if isinstance(r, Reject)]
    assert [(r.record_number, r.reason) for r in rejects] == [
        (2, "invalid JSON: unexpected end of data: line 1 column 121 (char 120)"),
        (
            3,
            "items[0].snippet.topLevelComment.snippet.publishedAt: "
            "Invalid isoformat string: 'yesterday'",
        ),
    ]
    assert rejects[0].raw_excerpt is not None
    assert rejects[0].raw_excerpt.startswith('{"kind": "youtube#commentThreadListResponse"')
    got = comments(records)
    assert [(c.comment_id, c.parent_comment_id, c.record_number, c.like_count) for c in got] == [
        (THREAD_B, None, 1, 45),
        ("UgzGood11111111111AaABAg", None, 3, 7),  # likeCount "7" as a string
        (f"{THREAD_B}.A1b2C3d4E5fA1b2C3d4E5f", THREAD_B, 4, 3),  # comments.list page
        (f"{THREAD_B}.G6h7I8j9K0lG6h7I8j9K0l", THREAD_B, 4, 0),  # no parentId: id prefix
    ]
    # the comments.list replies carry no videoId: the thread seen on line 1 gives it
    assert {c.content_id for c in got} == {VIDEO}
    assert got[3].text == "> same fence\nlol"
    assert [r.content_id for r in records if isinstance(r, Content)] == [VIDEO]


def test_a_json_list_of_pages_numbers_comments_across_pages(tmp_path: Path) -> None:
    page = json.loads((FIXTURES / "page.json").read_text(encoding="utf-8"))
    second = {
        "kind": "youtube#commentThreadListResponse",
        "items": [{"kind": "youtube#commentThread", "id": "x", "snippet": {"channelId": "UC"}}],
    }
    path = tmp_path / "pages.json"
    path.write_text(json.dumps([page, second], indent=1), encoding="utf-8")

    _, records = read_records(path)

    assert len(comments(records)) == 5
    assert [(r.record_number, r.reason) for r in records if isinstance(r, Reject)] == [
        (6, "[1].items[0].snippet.videoId: missing")
    ]


def test_reply_page_alone_needs_the_video_id_hint(tmp_path: Path) -> None:
    page = {
        "kind": "youtube#commentListResponse",
        "items": [
            {
                "kind": "youtube#comment",
                "id": "UgzP.Rr1",
                "snippet": {
                    "parentId": "UgzP",
                    "textDisplay": "a&amp;b",
                    "likeCount": 1,
                    "publishedAt": "2024-01-01T00:00:00Z",
                },
            }
        ],
    }
    path = tmp_path / "replies_UgzP.json"
    path.write_text(json.dumps(page), encoding="utf-8")

    _, without_hint = read_records(path)
    assert without_hint == [
        Reject.of(
            1,
            "items[0].snippet.videoId: missing (set the video_id hint for comments.list pages)",
            json.dumps(page["items"][0], separators=(",", ":")),
        )
    ]

    _, with_hint = read_records(path, video_id="VID12345678", retrieved_at="2024-02-01T10:00:00Z")
    assert with_hint[0] == Content(
        platform="youtube",
        content_id="VID12345678",
        url="https://www.youtube.com/watch?v=VID12345678",
    )
    reply = with_hint[1]
    assert isinstance(reply, Comment)
    assert (reply.content_id, reply.comment_id, reply.parent_comment_id, reply.text) == (
        "VID12345678",
        "UgzP.Rr1",
        "UgzP",
        "a&b",
    )
    assert reply.retrieved_at == datetime(2024, 2, 1, 10, 0, tzinfo=UTC)


def test_an_api_error_body_saved_as_a_page_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "page.json"
    path.write_text('{"error": {"code": 403, "message": "quotaExceeded"}}', encoding="utf-8")
    source = SourceFile(path=str(path), name=path.name)

    with open_decompressed(path) as stream:
        records = list(youtube_api.read(stream, source))

    assert [(r.record_number, r.reason) for r in records if isinstance(r, Reject)] == [
        (1, "API error response: 403 quotaExceeded")
    ]


def test_source_dump_skips_replies_repeated_by_comments_list(tmp_path: Path) -> None:
    """`sources.youtube_api` writes a thread page, then comments.list pages that return all
    replies again, embedded ones included; the file name carries the video id."""

    def reply(suffix: str, text: str, video: bool) -> dict[str, object]:
        snippet: dict[str, object] = {"parentId": "T1", "textOriginal": text, "likeCount": 0}
        if video:
            snippet["videoId"] = "Xy3_kLm9QwE"
        return {"kind": "youtube#comment", "id": f"T1.{suffix}", "snippet": snippet}

    thread_page = {
        "kind": "youtube#commentThreadListResponse",
        "items": [
            {
                "kind": "youtube#commentThread",
                "id": "T1",
                "snippet": {
                    "videoId": "Xy3_kLm9QwE",
                    "channelId": "UCq3",
                    "totalReplyCount": 2,
                    "topLevelComment": {"kind": "youtube#comment", "id": "T1", "snippet": {}},
                },
                "replies": {"comments": [reply("a", "embedded", True)]},
            }
        ],
    }
    replies_page = {
        "kind": "youtube#commentListResponse",
        "items": [reply("a", "embedded", False), reply("b", "only in comments.list", False)],
    }
    path = tmp_path / "youtube_api__Xy3_kLm9QwE__20240301T120000Z.jsonl"
    path.write_text(json.dumps(thread_page) + "\n" + json.dumps(replies_page) + "\n", "utf-8")

    name, records = read_records(path)

    assert name == "youtube_api"
    assert [
        (c.comment_id, c.parent_comment_id, c.content_id, c.record_number, c.text)
        for c in comments(records)
    ] == [
        ("T1", None, "Xy3_kLm9QwE", 1, None),
        ("T1.a", "T1", "Xy3_kLm9QwE", 1, "embedded"),
        ("T1.b", "T1", "Xy3_kLm9QwE", 2, "only in comments.list"),
    ]
    assert [r.content_id for r in records if isinstance(r, Content)] == ["Xy3_kLm9QwE"]


def test_reply_video_id_from_the_source_dump_name(tmp_path: Path) -> None:
    page = {
        "kind": "youtube#commentListResponse",
        "items": [{"kind": "youtube#comment", "id": "P.r", "snippet": {"parentId": "P"}}],
    }
    path = tmp_path / "youtube_api__Pq7-RsT2uVb__20240301T120000Z.jsonl"
    path.write_text(json.dumps(page) + "\n", "utf-8")

    _, records = read_records(path)

    assert [(c.comment_id, c.content_id) for c in comments(records)] == [("P.r", "Pq7-RsT2uVb")]

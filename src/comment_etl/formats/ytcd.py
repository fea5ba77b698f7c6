"""youtube-comment-downloader output: JSON lines, the `--pretty` `{"comments": [...]}` document,
or the JSON array older versions wrote with `--format`.

Fields (FORMATS.md section 2): ``cid``, ``text``, ``time``, ``author``, ``channel``, ``votes``
("1.2K"), ``replies`` ("14"), ``photo``, ``heart``, ``reply``, ``time_parsed`` (epoch float).
A reply's ``cid`` is ``<parent cid>.<suffix>``. The video id is not in the records: it comes from
the file name (``<video_id>.jsonl``) or the ``video_id`` hint of the scrape that wrote the file.
``raw`` keeps the whole record: the line as written (JSON lines), or the record re-serialized
(documents).
Record numbers are line numbers for JSON lines and the 1-based index in the list for documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from comment_etl.formats.fields import display_count, epoch_to_utc, to_str
from comment_etl.formats.jsonio import read_json
from comment_etl.records import Comment, Content, Record, Reject, SourceFile

NAME = "ytcd"
PLATFORM = "youtube"

#: `--pretty` writes ``{\n    "comments": [\n`` (CRLF on Windows); `--format` a JSON array.
_DOCUMENT = re.compile(r'^(?:\{\s*"comments"\s*:\s*\[|\[)')


def sniff(head: str, source: SourceFile) -> bool:
    stripped = head.lstrip()
    if _DOCUMENT.match(stripped):
        return re.search(r'"cid"\s*:', head) is not None
    first = stripped.split("\n", 1)[0]
    return first.startswith("{") and '"cid"' in first and '"text"' in first


def line_comment(
    record: Any, number: int, video_id: str, position: int, raw: str | None = None
) -> Comment | Reject:
    """One record (a line's value, or an element of the document's list) as a `Comment`.

    `raw` is the line as written (JSON lines); a document's record is kept re-serialized.
    """
    if not isinstance(record, dict):
        return Reject.of(number, f"expected a JSON object, got {type(record).__name__}", record)
    cid = to_str(record.get("cid"))
    if not cid:
        return Reject.of(number, "missing 'cid'", orjson.dumps(record))
    text = record.get("text")
    if text is not None and not isinstance(text, str):
        return Reject.of(number, "'text' is not a string", orjson.dumps(record))
    is_reply = bool(record.get("reply")) or "." in cid
    try:
        likes = display_count(record.get("votes"))
        replies = display_count(record.get("replies"))
        published = epoch_to_utc(record.get("time_parsed"))
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        return Reject.of(number, f"bad field value: {exc}", orjson.dumps(record))
    return Comment(
        platform=PLATFORM,
        content_id=video_id,
        comment_id=cid,
        parent_comment_id=cid.split(".", 1)[0] if is_reply else None,
        author_name=to_str(record.get("author")),
        author_id=to_str(record.get("channel")),
        text=text,
        published_at=published,
        like_count=likes,
        reply_count=replies,
        position=position,
        record_number=number,
        raw=raw if raw is not None else orjson.dumps(record).decode(),
    )


def read(stream: BinaryIO, source: SourceFile) -> Iterator[Record]:
    video_id = source.hints.get("video_id") or source.stem
    yield Content(
        platform=PLATFORM,
        content_id=video_id,
        url=f"https://www.youtube.com/watch?v={video_id}",
    )
    data = read_json(stream, with_lines=True)
    if data.raw_lines is None:
        yield from _read_document(data.document, video_id)
        return
    position = 0
    for number, line, record in data.raw_lines:
        if isinstance(record, Reject):
            yield record
            continue
        position += 1
        yield line_comment(record, number, video_id, position, line.decode())


def _read_document(document: Any, video_id: str) -> Iterator[Record]:
    """The `--pretty` / `--format` forms are one JSON document, small enough to load whole."""
    comments = document.get("comments") if isinstance(document, dict) else document
    if not isinstance(comments, list):
        yield Reject.of(
            None, "JSON document without a 'comments' list", orjson.dumps(document)[:200]
        )
        return
    for position, record in enumerate(comments, start=1):
        yield line_comment(record, position, video_id, position)

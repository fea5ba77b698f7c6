"""CSV exports with a header row, e.g. the UCI YouTube spam collection
(``COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS``; FORMATS.md section 6).

Columns are found by name: a default list of common names per field (matched case-insensitively,
spaces and dashes read as ``_``), overridden per field by the ``csv_mapping`` hint, a JSON object
of field -> column name such as ``{"text": "Message", "comment_id": "MsgId"}``. The hint is one
setting for every CSV file, so a mapped column a file does not have falls back to the defaults.
A header without a text or a comment id column fails the file (`FileUnreadable`), since no row
could be used. ``raw`` keeps the whole row as read, a JSON object of header -> cell (see
`csvio.row_object`), so the original record is recoverable.

* ``content_id``: a mapped/known column (``video_id``, ``content_id``), else the ``content_id``
  hint, else the file name stem (UCI ``Youtube01-Psy.csv`` -> ``Youtube01-Psy``); one `Content`
  per (platform, content id) seen.
* ``platform``: a mapped column, else the ``platform`` hint, else ``csv``.
* Dates: ISO 8601 with or without ``T``/``Z``/fraction/offset, epoch seconds, ``DD.MM.YYYY``.
* Text: a cell holding HTML (an export of the YouTube API's ``textDisplay``: ``<br />``,
  ``&#39;``, links) becomes plain text (`normalize.html.plain_text`); any other is kept as
  written. ``raw`` keeps the cell as read.
* Record number: the line where the row starts (the header is line 1; quoted newlines make rows
  span lines). A short row, an empty id or text, or a bad date/count rejects that row only.

The file is streamed by `formats.csvio` (shared with `generic`): a row with invalid UTF-8 or
NUL bytes, or longer than the record limit (``COMMENTS_MAX_RECORD_BYTES``), is rejected, not
the file; quoting, doubled quotes, quoted newlines and CRLF are the `csv` module's.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

import orjson

from comment_etl.formats.base import FileUnreadable
from comment_etl.formats.csvio import column_names, delimiter, excerpt, read_rows, row_object
from comment_etl.formats.fields import display_count, hint_to_utc, to_utc
from comment_etl.normalize.html import plain_text
from comment_etl.records import Comment, Content, Record, Reject, SourceFile

NAME = "csv_export"
DEFAULT_PLATFORM = "csv"

#: Field -> accepted column names (normalized), most specific first.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "comment_id": ("comment_id", "commentid", "cid", "id"),
    "text": (
        "text",
        "content",
        "comment",
        "body",
        "message",
        "comment_text",
        "text_original",
        "textoriginal",
        "textdisplay",
    ),
    "author_name": ("author", "author_name", "username", "user", "user_name", "authordisplayname"),
    "author_id": ("author_id", "user_id", "author_channel_id", "authorchannelid"),
    "published_at": (
        "date",
        "published_at",
        "publishedat",
        "timestamp",
        "created_at",
        "created_utc",
        "created",
        "time",
        "posted_at",
    ),
    "updated_at": ("updated_at", "updatedat", "edited_at"),
    "retrieved_at": ("retrieved_at", "scraped_at", "retrieved_on"),
    "like_count": ("likes", "like_count", "likecount", "votes", "score", "upvotes"),
    "reply_count": ("replies", "reply_count", "replycount", "totalreplycount"),
    "parent_comment_id": ("parent_comment_id", "parent_id", "parent", "parentid", "in_reply_to"),
    "content_id": ("content_id", "video_id", "videoid", "post_id", "story_id"),
    "platform": ("platform",),
}
#: Short names accepted as keys of the csv_mapping hint.
FIELD_ALIASES = {
    "id": "comment_id",
    "author": "author_name",
    "date": "published_at",
    "likes": "like_count",
    "replies": "reply_count",
    "parent": "parent_comment_id",
    "video_id": "content_id",
}
REQUIRED = ("comment_id", "text")
#: Header names a sniff accepts as CSV without a .csv name (at least two must be present).
_KNOWN = frozenset(name for names in DEFAULT_COLUMNS.values() for name in names)
_NORMALIZE = re.compile(r"[\s\-]+")


def _norm(name: str) -> str:
    return _NORMALIZE.sub("_", name.strip().lower())


def sniff(head: str, source: SourceFile) -> bool:
    first = head.split("\n", 1)[0].rstrip("\r")
    if not first.strip() or first.lstrip()[:1] in ("{", "["):
        return False
    try:
        cells = next(csv.reader([first], delimiter=delimiter(first)))
    except (csv.Error, StopIteration):
        return False
    if len(cells) < 2 or any(len(cell) > 100 for cell in cells):
        return False
    name = source.name.lower().removesuffix(".gz").removesuffix(".zst").removesuffix(".zstd")
    if name.endswith((".csv", ".tsv")):
        return True
    mapped = {_norm(column) for column in _mapping_hint(source, strict=False).values()}
    return len({_norm(cell) for cell in cells} & (_KNOWN | mapped)) >= 2


def _mapping_hint(source: SourceFile, strict: bool = True) -> dict[str, str]:
    """The csv_mapping hint as {field: column}; a malformed hint fails the file (when strict)."""
    hint = source.hints.get("csv_mapping")
    if not hint:
        return {}
    try:
        value = orjson.loads(hint)
    except orjson.JSONDecodeError as exc:
        if not strict:
            return {}
        raise FileUnreadable(f"csv_mapping hint is not valid JSON: {exc}") from exc
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        if not strict:
            return {}
        raise FileUnreadable("csv_mapping hint must be a JSON object of field -> column name")
    mapping: dict[str, str] = {}
    for key, column in value.items():
        field = FIELD_ALIASES.get(key, key)
        if field not in DEFAULT_COLUMNS:
            if not strict:
                continue
            known = ", ".join(sorted(DEFAULT_COLUMNS))
            raise FileUnreadable(f"csv_mapping hint: unknown field {key!r} (known: {known})")
        mapping[field] = column
    return mapping


def resolve_columns(header: list[str], mapping: dict[str, str]) -> dict[str, int]:
    """Field -> column index: mapped columns first, then the default names for the rest."""
    exact: dict[str, int] = {}
    normalized: dict[str, int] = {}
    for position, name in enumerate(header):
        exact.setdefault(name, position)
        normalized.setdefault(_norm(name), position)
    columns: dict[str, int] = {}
    for field, column in mapping.items():
        index = exact[column] if column in exact else normalized.get(_norm(column))
        if index is not None:
            columns[field] = index
    used = set(columns.values())
    for field, names in DEFAULT_COLUMNS.items():
        if field in columns:
            continue
        for name in names:
            index = normalized.get(name)
            if index is not None and index not in used:
                columns[field] = index
                used.add(index)
                break
    for field in REQUIRED:
        if field not in columns:
            looked_for = [mapping[field]] if field in mapping else []
            looked_for += list(DEFAULT_COLUMNS[field])
            raise FileUnreadable(
                f"CSV header has no {field} column (looked for {', '.join(looked_for)}; "
                f"header: {', '.join(header)}); set the csv_mapping hint"
            )
    return columns


@dataclass(slots=True)
class _Layout:
    """What every row of one file shares: its header, field columns and defaults."""

    header: list[str]
    columns: dict[str, int]
    names: list[str]
    platform: str
    content_id: str
    retrieved_at: datetime | None

    def cell(self, row: list[str], field: str, strip: bool = False) -> str | None:
        index = self.columns.get(field)
        if index is None or index >= len(row):
            return None
        value = row[index]
        if not value.strip():
            return None
        return value.strip() if strip else value

    def column(self, field: str) -> str:
        return self.header[self.columns[field]]

    def comment(self, row: list[str], number: int, position: int) -> Comment | Reject:
        comment_id = self.cell(row, "comment_id", strip=True)
        text = self.cell(row, "text")
        for field, value in (("comment_id", comment_id), ("text", text)):
            if value is None:
                reason = f"row without {field} (column {self.column(field)!r} is empty)"
                return Reject.of(number, reason, excerpt(row))
        assert comment_id is not None and text is not None  # checked just above
        values: dict[str, Any] = {}
        for field, convert in _CONVERTED:
            try:
                values[field] = convert(self.cell(row, field, strip=True))
            except (TypeError, ValueError, OverflowError, OSError) as exc:
                reason = f"bad {field} in column {self.column(field)!r}: {exc}"
                return Reject.of(number, reason, excerpt(row))
        return Comment(
            platform=self.cell(row, "platform", strip=True) or self.platform,
            content_id=self.cell(row, "content_id", strip=True) or self.content_id,
            comment_id=comment_id,
            parent_comment_id=self.cell(row, "parent_comment_id", strip=True),
            author_name=self.cell(row, "author_name"),
            author_id=self.cell(row, "author_id", strip=True),
            text=plain_text(text),  # an export of YouTube's textDisplay is HTML
            published_at=values["published_at"],
            updated_at=values["updated_at"],
            retrieved_at=values["retrieved_at"] or self.retrieved_at,
            like_count=values["like_count"],
            reply_count=values["reply_count"],
            position=position,
            record_number=number,
            raw=row_object(self.names, row),
        )


_CONVERTED = (
    ("published_at", to_utc),
    ("updated_at", to_utc),
    ("retrieved_at", to_utc),
    ("like_count", display_count),
    ("reply_count", display_count),
)


def read(stream: BinaryIO, source: SourceFile) -> Iterator[Record]:
    mapping = _mapping_hint(source)
    data = read_rows(stream)
    header = data.header
    layout = _Layout(
        header=header,
        columns=resolve_columns(header, mapping),
        names=column_names(header),
        platform=source.hints.get("platform") or DEFAULT_PLATFORM,
        content_id=source.hints.get("content_id") or source.stem,
        retrieved_at=hint_to_utc(source.hints, "retrieved_at"),
    )
    contents: set[tuple[str, str]] = set()
    position = 0
    for start, row in data.rows:
        position += 1
        if isinstance(row, Reject):
            yield row
            continue
        record = layout.comment(row, start, position)
        if isinstance(record, Comment):
            key = (record.platform, record.content_id)
            if key not in contents:
                contents.add(key)
                yield Content(platform=record.platform, content_id=record.content_id)
        yield record

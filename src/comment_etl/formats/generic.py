"""Comment dumps of any reasonable layout: JSON lines, a JSON document, or a CSV without ids.

Tried after the specific readers (registry order), this reader accepts:

* JSON lines or a JSON document (an array, or an object holding one list of records such as
  ``{"comments": [...]}``) whose records have a text field under a common name (``text``,
  ``body``, ``content``, ``comment``, ``message`` ...); nested ``replies: [...]`` lists are
  read as replies of their record;
* a CSV whose header has a text column but no comment id column (the CSV reader needs one),
  not even one under an unknown name (``MsgId``: map it, see ``formats/mapping.py``);
* any dump a mapping file entry applies to (``formats/mapping.py``).

Fields are found by the mapping entry, else by common names (case, ``_``, ``-`` and spaces
ignored: ``textOriginal`` = ``text_original``); ``a.b`` reaches into nested objects, and an
author given as an object gives its ``name`` / ``id``. Values the dump does not carry stay NULL.

* **Platform and content**: the mapping, else a ``platform`` / content id field (``video_id``
  means YouTube), else recognised from a URL field (YouTube, Reddit, Hacker News links give
  their own ids), else a URL's hash (``url_<sha256[:16]>``), else the file name stem.
* **Comment ids**: the dump's id field; when there is none (or the mapping sets
  ``comment_id: null``) a derived id ``d_<sha256[:20]>`` of (platform, content id, author,
  text with whitespace collapsed, n-th occurrence of that same triple in the file). So the
  same dump gives the same ids on every rerun, and a later export of the same comments gives
  them the same ids even when its relative times ("2 days ago" -> "5 days ago"), likes or
  order changed; a comment whose text was edited gets a new id (as it would in any text-keyed
  de-duplication). A parent id that matches no id of the dump is kept as it is: the comment
  is a reply to a comment we do not have.
* **Times**: epoch seconds / milliseconds and ISO 8601 directly; a ``time_format`` strftime
  format from the mapping; otherwise a relative or localized time ("3 years ago", "vor 2
  Tagen", "4 minggu yang lalu", "(edited)" dropped) is resolved by `dateparser` against the
  dump's scrape time: a scrape-time field of the record (``scraped_at``, ``retrieved_at``,
  ``crawled_at`` ...), else the mapping's ``scraped_at``, else the ``retrieved_at`` hint, else
  the file's modification time (the documented fallback). The time is then only as precise as
  the text ("3 years ago" is a year, not a day); the base is the comment's ``retrieved_at``,
  or when that is NULL the file's modification time (``source_modified_at``). The original
  string stays in ``raw``; a time that cannot be read leaves ``published_at`` NULL.
* ``raw`` is the original record as read (JSON): the record's object (its nested ``replies``
  list left out: each reply is a row of its own with its own object), or for CSV the row as
  header -> cell (`csvio.row_object`).
* Text holding HTML (a crawler that saved YouTube's ``textDisplay``) becomes plain text
  (`normalize.html.plain_text`); derived ids are computed from the text as the dump has it.
* Record numbers: line numbers for JSON lines and CSV, 1-based record indexes in a document.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, BinaryIO

import orjson

from comment_etl.formats.base import FileUnreadable
from comment_etl.formats.csvio import column_names, delimiter, read_rows
from comment_etl.formats.fields import display_count, hint_to_utc, to_str, to_utc
from comment_etl.formats.jsonio import not_an_object, read_json
from comment_etl.formats.mapping import HINT
from comment_etl.normalize.html import plain_text
from comment_etl.records import Comment, Content, Record, Reject, SourceFile

NAME = "generic"
DEFAULT_PLATFORM = "generic"

#: Canonical field -> common names (normalized: lower case, no "_", "-" or spaces).
COMMON: dict[str, tuple[str, ...]] = {
    "comment_id": ("commentid", "cid", "id", "uuid", "guid"),
    "text": (
        "text",
        "body",
        "content",
        "comment",
        "message",
        "commenttext",
        "textoriginal",
        "textdisplay",
        "msg",
    ),
    "author_name": ("authorname", "author", "username", "user", "by", "authordisplayname", "name"),
    "author_id": ("authorid", "userid", "authorchannelid"),
    "parent_comment_id": ("parentcommentid", "parentid", "parent", "inreplyto", "replyto"),
    "published_at": (
        "publishedat",
        "published",
        "createdat",
        "createdutc",
        "created",
        "timestamp",
        "time",
        "date",
        "postedat",
        "datetime",
    ),
    "updated_at": ("updatedat", "editedat"),
    "like_count": ("likecount", "likes", "votes", "score", "upvotes"),
    "reply_count": ("replycount", "totalreplycount", "replies"),
    "content_id": ("contentid", "videoid", "postid", "storyid", "threadid", "linkid"),
    "url": ("url", "videourl", "posturl", "pageurl", "permalink", "link"),
    "title": ("title", "videotitle", "posttitle"),
    "scraped_at": ("scrapedat", "retrievedat", "retrievedon", "crawledat", "fetchedat"),
    "platform": ("platform", "source", "site"),
}
_TEXT_NAMES = frozenset(COMMON["text"])
_ID_NAMES = frozenset(COMMON["comment_id"])
_OTHER_IDS = frozenset(COMMON["content_id"] + COMMON["author_id"] + COMMON["parent_comment_id"])
_LIST_KEYS = ("comments", "data", "items", "results", "records", "rows")
_EDITED = re.compile(
    r"\s*[(\[]?\s*(edited|diedit|bearbeitet|editado|modifié|modifiée|modificato|"
    r"отредактировано|düzenlendi)\s*[)\]]?\s*$",
    re.IGNORECASE,
)
_YOUTUBE = re.compile(r"(?:youtube\.com/(?:watch\?(?:.*&)?v=|shorts/|live/)|youtu\.be/)([\w-]{11})")
_REDDIT = re.compile(r"reddit\.com/r/[^/]+/comments/([a-z0-9]+)", re.IGNORECASE)
_HN = re.compile(r"news\.ycombinator\.com/item\?id=(\d+)")
#: Languages dateparser tries for relative times (loading all of them takes seconds).
LANGUAGES = ("en", "de", "id", "es", "pt", "fr", "it", "nl", "tr", "ru", "pl", "ja", "ko", "zh")


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


def _mapping(source: SourceFile) -> dict[str, Any]:
    hint = source.hints.get(HINT)
    return orjson.loads(hint) if hint else {}


# ---------------------------------------------------------------- sniff


def sniff(head: str, source: SourceFile) -> bool:
    if source.hints.get(HINT):
        return True
    stripped = head.lstrip()
    if stripped[:1] in ("{", "["):
        return _sniff_json(stripped) and not _specific_json(head, source)
    return _sniff_csv(head, source)


def _specific_json(head: str, source: SourceFile) -> bool:
    """True when a JSON reader listed before this one takes the file (each file has one
    reader; the registry tries them first anyway, this keeps `sniff` exact on its own)."""
    from comment_etl.formats.registry import FORMATS  # the registry imports this module

    before = FORMATS[: FORMATS.index(sys.modules[__name__])]
    return any(module.sniff(head, source) for module in before)


def _sniff_json(head: str) -> bool:
    first = head.split("\n", 1)[0].strip()
    try:
        value = orjson.loads(first)
    except orjson.JSONDecodeError:
        # a document: look for a common text key among its first keys
        keys = re.findall(r'"([^"\\]{1,40})"\s*:', head[:20000])
        return any(_norm(key) in _TEXT_NAMES for key in keys)
    records = _document_records(value) if isinstance(value, dict | list) else []
    return any(isinstance(r, dict) and any(_norm(k) in _TEXT_NAMES for k in r) for r in records[:5])


def _sniff_csv(head: str, source: SourceFile) -> bool:
    """A header with a text column and no comment id column, not even under another name
    (``MsgId``: a column ending in "id" that is no content, author or parent id); a file the
    ``csv_mapping`` hint maps is the CSV reader's."""
    if source.hints.get("csv_mapping"):
        return False
    first = head.split("\n", 1)[0].rstrip("\r")
    separator = delimiter(first)
    try:
        cells = next(csv.reader([first], delimiter=separator))
    except (csv.Error, StopIteration):
        return False
    names = {_norm(cell) for cell in cells}
    if len(cells) < 2 or any(len(cell) > 100 for cell in cells):
        return False
    unknown_ids = {n for n in names if n.endswith("id") and n not in _OTHER_IDS}
    return bool(names & _TEXT_NAMES) and not (names & _ID_NAMES) and not unknown_ids


# ---------------------------------------------------------------- records


def _records(stream: BinaryIO, head: bytes) -> Iterator[tuple[int, Any]]:
    """(record number, record or Reject): JSON lines, a JSON document, or CSV rows."""
    text_start = head.lstrip().lstrip(b"\xef\xbb\xbf").lstrip()
    if text_start[:1] in (b"{", b"["):
        data = read_json(io.BufferedReader(_Prefixed(head, stream)))
        if data.lines is not None:
            for number, value in data.lines:
                # a line may hold one record, an array of them, or a wrapper {"comments": [...]}
                for record in _expand(value):
                    yield number, record
            return
        yield from enumerate(_expand(data.document), start=1)
        return
    yield from _csv_rows(io.BufferedReader(_Prefixed(head, stream)))


def _expand(value: Any) -> list[Any]:
    """The records of one JSON value: itself when it is a record with a text field."""
    if isinstance(value, dict) and any(_norm(key) in _TEXT_NAMES for key in value):
        return [value]
    if isinstance(value, dict | list):
        return _document_records(value)
    return [value]


def _document_records(document: Any) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in _LIST_KEYS:
            if isinstance(document.get(key), list):
                return document[key]
        lists = [v for v in document.values() if isinstance(v, list) and v]
        if lists and all(isinstance(r, dict) for r in lists[0]):
            return lists[0]
        return [document]
    raise FileUnreadable(f"expected JSON records, got {type(document).__name__}")


def _csv_rows(stream: BinaryIO) -> Iterator[tuple[int, Any]]:
    """(line, row as a dict of column name -> cell, or Reject), read by `formats.csvio`."""
    data = read_rows(stream)
    names = column_names(data.header)
    for start, row in data.rows:
        yield start, row if isinstance(row, Reject) else dict(zip(names, row, strict=True))


class _Prefixed(io.RawIOBase):
    """The bytes already read for the sniff, then the rest of the stream."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self.head = memoryview(head)
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            size = min(len(buffer), len(self.head))
            buffer[:size] = self.head[:size]
            self.head = self.head[size:]
            return size
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# ---------------------------------------------------------------- fields


class _Fields:
    """Where each canonical field is in a record: the mapping's key, else a common name."""

    def __init__(self, mapping: dict[str, Any]) -> None:
        self.mapped: dict[str, str | None] = dict(mapping.get("fields") or {})
        if mapping.get("content_id_field"):
            self.mapped["content_id"] = mapping["content_id_field"]
        if mapping.get("scraped_at_field"):
            self.mapped["scraped_at"] = mapping["scraped_at_field"]
        self._cache: dict[tuple[str, frozenset[str]], str | None] = {}

    def key(self, record: dict[str, Any], field: str) -> str | None:
        if field in self.mapped:
            return self.mapped[field]
        names = frozenset(record)
        cached = self._cache.get((field, names))
        if cached is not None or (field, names) in self._cache:
            return cached
        by_norm = {_norm(name): name for name in record}
        found = next((by_norm[n] for n in COMMON[field] if n in by_norm), None)
        self._cache[(field, names)] = found
        return found

    def get(self, record: dict[str, Any], field: str) -> Any:
        key = self.key(record, field)
        if key is None:
            return None
        value: Any = record
        for part in key.split(".") if key not in record else [key]:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value


def _author(value: Any) -> tuple[str | None, str | None]:
    """(name, id) of an author given as text or as an object."""
    if isinstance(value, dict):
        name = next((value[k] for k in ("name", "displayName", "username") if value.get(k)), None)
        ident = next((value[k] for k in ("id", "channelId", "user_id") if value.get(k)), None)
        return to_str(name), to_str(ident)
    if isinstance(value, list | tuple):
        return None, None
    return to_str(value), None


def _scalar(value: Any) -> Any:
    return None if isinstance(value, dict | list) else value


def content_from_url(url: str) -> tuple[str, str] | None:
    """(platform, id) for a YouTube, Reddit or Hacker News link; None for other URLs."""
    for platform, pattern in (("youtube", _YOUTUBE), ("reddit", _REDDIT), ("hackernews", _HN)):
        match = pattern.search(url)
        if match:
            return platform, match.group(1)
    return None


def derived_id(platform: str, content_id: str, author: str | None, text: str, nth: int) -> str:
    """The stable id of a comment its dump gives none (see the module docstring)."""
    key = "\x1f".join((platform, content_id, author or "", " ".join(text.split()), str(nth)))
    return "d_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


# ---------------------------------------------------------------- times


class _Times:
    """Absolute and relative times of one file, relative ones against its scrape time."""

    def __init__(self, source: SourceFile, mapping: dict[str, Any]) -> None:
        self.time_format: str | None = mapping.get("time_format")
        self.languages = list(mapping.get("languages") or LANGUAGES)
        try:
            self.scraped_at = to_utc(mapping.get("scraped_at"))
        except ValueError as exc:
            raise FileUnreadable(f"bad 'scraped_at' in the mapping file: {exc}") from exc
        self.scraped_at = self.scraped_at or hint_to_utc(source.hints, "retrieved_at")
        self._mtime: datetime | None = None
        self.path = source.path

    def base(self, record_scraped: datetime | None) -> datetime:
        if record_scraped is not None:
            return record_scraped
        if self.scraped_at is not None:
            return self.scraped_at
        if self._mtime is None:
            self._mtime = datetime.fromtimestamp(os.stat(self.path).st_mtime, tz=UTC)
        return self._mtime

    def parse(self, value: Any, record_scraped: datetime | None) -> datetime | None:
        """The UTC time of `value`, or None when it cannot be read (the record keeps it)."""
        if value is None or value == "" or isinstance(value, dict | list):
            return None
        if self.time_format not in (None, "relative", "iso", "epoch") and isinstance(value, str):
            try:
                parsed = datetime.strptime(value.strip(), self.time_format)
            except ValueError:
                return None
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
        if self.time_format != "relative":
            try:
                return to_utc(value)
            except (ValueError, OverflowError, OSError):
                if self.time_format in ("iso", "epoch"):
                    return None
        text = str(value)
        match = _EDITED.search(text)
        if match:
            text = text[: match.start()]
        base = self.base(record_scraped)
        return _relative(text.strip(), base.replace(tzinfo=None), tuple(self.languages))


@lru_cache(maxsize=4096)
def _relative(text: str, base: datetime, languages: tuple[str, ...]) -> datetime | None:
    import dateparser  # loaded only for dumps with relative times (a second or two)

    settings = {
        "RELATIVE_BASE": base,
        "TIMEZONE": "UTC",
        "TO_TIMEZONE": "UTC",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
    }
    parsed = dateparser.parse(text, languages=list(languages), settings=settings)
    return parsed.astimezone(UTC) if parsed else None


# ---------------------------------------------------------------- read


def read(stream: BinaryIO, source: SourceFile) -> Iterator[Record]:
    mapping = _mapping(source)
    fields = _Fields(mapping)
    times = _Times(source, mapping)
    derive = "comment_id" in fields.mapped and fields.mapped["comment_id"] is None
    seen_keys: Counter[tuple[str, str, str | None, str]] = Counter()
    seen_ids: set[tuple[str, str, str]] = set()
    contents: set[tuple[str, str]] = set()
    head = stream.read(64 * 1024)
    position = 0
    for number, record, parent_id in _flatten(_records(stream, head), fields):
        if isinstance(record, Reject):
            yield record
            continue
        if not isinstance(record, dict):
            yield not_an_object(number, record)
            continue
        position += 1
        try:
            built = _comment(record, number, position, source, fields, times, parent_id)
        except (TypeError, ValueError, OverflowError) as exc:
            yield Reject.of(number, str(exc), orjson.dumps(record, default=str))
            continue
        comment, content = built
        if derive or not comment.comment_id:
            key = (comment.platform, comment.content_id, comment.author_name, comment.text or "")
            seen_keys[key] += 1
            comment.comment_id = derived_id(*key, seen_keys[key])
        if comment.text:  # after the id: derived ids stay those of the dump's text
            comment.text = plain_text(comment.text)
        natural = (comment.platform, comment.content_id, comment.comment_id)
        if natural in seen_ids:
            yield Reject.of(
                number,
                f"duplicate comment id {comment.comment_id!r} in this file (the first is kept)",
                orjson.dumps(record, default=str),
            )
            continue
        seen_ids.add(natural)
        if (content.platform, content.content_id) not in contents:
            contents.add((content.platform, content.content_id))
            yield content
        yield comment


def _flatten(
    records: Iterator[tuple[int, Any]], fields: _Fields
) -> Iterator[tuple[int, Any, str | None]]:
    """(number, record, id of the record it is nested in): records, and the records of their
    nested `replies` lists (left as they are: the nesting gives their parent)."""
    for number, record in records:
        yield number, record, None
        if isinstance(record, dict) and isinstance(record.get("replies"), list):
            parent_id = to_str(_scalar(fields.get(record, "comment_id")))
            for reply in record["replies"]:
                yield number, reply, parent_id


def _comment(
    record: dict[str, Any],
    number: int,
    position: int,
    source: SourceFile,
    fields: _Fields,
    times: _Times,
    nested_in: str | None = None,
) -> tuple[Comment, Content]:
    text = to_str(_scalar(fields.get(record, "text")))
    if text is None:
        raise ValueError("record without text (no text field, or it is empty)")
    url = to_str(_scalar(fields.get(record, "url")))
    from_url = content_from_url(url) if url else None
    platform = (
        source.hints.get("platform")
        or to_str(_scalar(fields.get(record, "platform")))
        or (from_url[0] if from_url else None)
        or ("youtube" if fields.key(record, "content_id") in ("video_id", "videoId") else None)
        or DEFAULT_PLATFORM
    )
    content_value = to_str(_scalar(fields.get(record, "content_id")))
    if content_value and "://" in content_value:
        found = content_from_url(content_value)
        url = url or content_value
        content_value = found[1] if found else _url_key(content_value)
    content_id = (
        source.hints.get("content_id")
        or content_value
        or (from_url[1] if from_url else None)
        or (_url_key(url) if url else None)
        or source.stem
    )
    author_name, author_id = _author(fields.get(record, "author_name"))
    author_id = to_str(_scalar(fields.get(record, "author_id"))) or author_id
    try:
        scraped = to_utc(_scalar(fields.get(record, "scraped_at")))
    except ValueError as exc:
        raise ValueError(f"bad scrape time: {exc}") from None
    published = times.parse(fields.get(record, "published_at"), scraped)
    updated = times.parse(fields.get(record, "updated_at"), scraped)
    parent = to_str(_scalar(fields.get(record, "parent_comment_id"))) or nested_in
    comment_key = fields.key(record, "comment_id")  # None: derive one (see read)
    # The original record; nested replies are rows of their own, each keeping its own object.
    raw = record
    if isinstance(record.get("replies"), list):
        raw = {key: value for key, value in record.items() if key != "replies"}
    comment = Comment(
        platform=platform,
        content_id=content_id,
        comment_id=(to_str(_scalar(fields.get(record, "comment_id"))) if comment_key else None)
        or "",
        parent_comment_id=parent,
        author_name=author_name,
        author_id=author_id,
        text=text,
        published_at=published,
        updated_at=updated,
        retrieved_at=scraped or times.scraped_at,
        like_count=display_count(_scalar(fields.get(record, "like_count"))),
        reply_count=display_count(_scalar(fields.get(record, "reply_count"))),
        position=position,
        record_number=number,
        raw=orjson.dumps(raw, default=str).decode(),
    )
    title = to_str(_scalar(fields.get(record, "title")))
    content = Content(platform=platform, content_id=content_id, title=title, url=url)
    return comment, content


def _url_key(url: str) -> str:
    return "url_" + hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:16]

"""Hacker News items (the Firebase API's JSON): one item, a JSON array of items, JSON lines of
items, or ``{"story": {...}, "comments": [...]}`` bundles (alone, in an array, or one per line).

A comment only knows its ``parent`` (FORMATS.md section 5), so finding its story means walking
``parent`` links up through the items of the file. That needs every item first: HN files are read
whole (documents are loaded; JSON lines are streamed into a list of items). Keep HN files to the
size of a crawl batch (a story with its comments, or a day of items), not the full 40M-item
history.

Conventions:

* ids are the decimal item ids as text (``"2921983"``);
* ``content_id`` is the story (or job/poll) reached by walking ``parent``. When the chain leaves
  the file before reaching a story, it is the topmost id reachable (the first missing parent),
  and a bare `Content` with that id is emitted so every comment has its content;
* ``parent_comment_id`` is the parent unless the parent is that content (then None: top level).
  The original ``parent`` is kept in ``raw``;
* text is HTML -> plain text, ``<p>`` paragraphs as blank lines, links as ``label (href)``;
* deleted or dead items are kept with ``is_deleted`` True (deleted ones have no ``by``/``text``);
* ``reply_count`` is the number of direct replies (``len(kids)``);
* a story becomes `Content`: title, discussion URL (``news.ycombinator.com/item?id=``), its text
  as description (for a link story without text: the link), ``by`` as channel (the submitter).

Record numbers: line numbers for JSON lines, else the 1-based index of the item in the document
(bundles count their story, then their comments). ``raw`` is the whole item as read (JSON).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson

from comment_etl.formats.fields import epoch_to_utc, to_int, to_str
from comment_etl.formats.jsonio import not_an_object, read_json
from comment_etl.normalize.html import html_to_text
from comment_etl.records import Comment, Content, Record, Reject, SourceFile

NAME = "hackernews"
PLATFORM = "hackernews"

CONTENT_TYPES = frozenset({"story", "job", "poll"})
_TYPE = re.compile(r'"type"\s*:\s*"(?:comment|story|job|poll|pollopt)"')
_BUNDLE = re.compile(r'"story"\s*:\s*\{')


def sniff(head: str, source: SourceFile) -> bool:
    if head.lstrip()[:1] not in ("{", "["):
        return False
    return _BUNDLE.search(head) is not None or (_TYPE.search(head) is not None and '"id"' in head)


def item_url(item_id: int | str) -> str:
    return f"https://news.ycombinator.com/item?id={item_id}"


@dataclass(slots=True)
class _Item:
    number: int
    id: int
    type: str
    parent: int | None
    data: dict[str, Any]


def _item(number: int, data: Any) -> _Item | Reject:
    if not isinstance(data, dict):
        return not_an_object(number, data)
    try:
        item_id = _field(data, "id", to_int)
        parent = _field(data, "parent", to_int)
    except ValueError as exc:
        return Reject.of(number, str(exc), orjson.dumps(data))
    if item_id is None:
        return Reject.of(number, "missing 'id'", orjson.dumps(data))
    kind = data.get("type")
    if kind is None:  # infer it for exports that dropped the field
        kind = "story" if "title" in data else "comment" if parent is not None else None
    if kind not in CONTENT_TYPES and kind != "comment":
        reason = "missing 'type'" if kind is None else f"unsupported item type {kind!r}"
        return Reject.of(number, reason, orjson.dumps(data))
    if kind == "comment" and parent is None:
        return Reject.of(number, "comment without 'parent'", orjson.dumps(data))
    return _Item(number, item_id, kind, parent, data)


class _Collector:
    """Gathers items (and rejects) from whatever shape the file has."""

    def __init__(self) -> None:
        self.items: list[_Item] = []
        self.rejects: list[Reject] = []
        self.index = 0
        self.line: int | None = None

    def add(self, value: Any) -> None:
        if isinstance(value, list):
            for element in value:
                self.add(element)
        elif (
            isinstance(value, dict)
            and "id" not in value
            and ("story" in value or "comments" in value)
        ):
            if value.get("story") is not None:
                self.add(value["story"])
            comments = value.get("comments")
            if isinstance(comments, list):
                for element in comments:
                    self.add(element)
            elif comments is not None:
                self.reject_value("bundle 'comments' is not a list", value)
        else:
            self.index += 1
            number = self.line if self.line is not None else self.index
            item = _item(number, value)
            if isinstance(item, Reject):
                self.rejects.append(item)
            else:
                self.items.append(item)

    def reject_value(self, reason: str, value: Any) -> None:
        self.index += 1
        number = self.line if self.line is not None else self.index
        self.rejects.append(Reject.of(number, reason, orjson.dumps(value)))


def _roots(items: list[_Item]) -> dict[int, int]:
    """Content id of every comment: walk `parent` to a story, or to the first id not in the file."""
    parent_of = {item.id: item.parent for item in items if item.type == "comment"}
    contents = {item.id for item in items if item.type in CONTENT_TYPES}
    root_of: dict[int, int] = {}
    for start in parent_of:
        chain: list[int] = []
        on_chain: set[int] = set()
        current = start
        while True:
            if current in root_of:
                root = root_of[current]
                break
            if current in contents or current not in parent_of or current in on_chain:
                root = current  # a story, the first id outside the file, or a (corrupt) cycle
                break
            chain.append(current)
            on_chain.add(current)
            current = parent_of[current]  # type: ignore[assignment]
        for item_id in chain:
            root_of[item_id] = root
    return root_of


def _field(data: dict[str, Any], name: str, convert: Any) -> Any:
    """`convert(data[name])`, with errors that name the field."""
    try:
        return convert(data.get(name))
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"bad {name!r}: {exc}") from None


def _text(data: dict[str, Any]) -> str | None:
    text = data.get("text")
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError("'text' is not a string")
    return html_to_text(text, link_urls=True)


def _content(item: _Item) -> Content:
    data = item.data
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise ValueError("'title' is not a string")
    description = _text(data) or to_str(data.get("url"))
    return Content(
        platform=PLATFORM,
        content_id=str(item.id),
        title=title or None,  # titles are plain text in the API (only `text` is HTML)
        description=description,
        url=item_url(item.id),
        channel=to_str(data.get("by")),
        published_at=_field(data, "time", epoch_to_utc),
    )


def _comment(item: _Item, content_id: int, position: int) -> Comment:
    data = item.data
    kids = data.get("kids")
    return Comment(
        platform=PLATFORM,
        content_id=str(content_id),
        comment_id=str(item.id),
        parent_comment_id=None if item.parent == content_id else str(item.parent),
        author_name=to_str(data.get("by")),
        author_id=to_str(data.get("by")),
        text=_text(data),
        published_at=_field(data, "time", epoch_to_utc),
        like_count=_field(data, "score", to_int),
        reply_count=len(kids) if isinstance(kids, list) else None,
        position=position,
        is_deleted=bool(data.get("deleted") or data.get("dead")),
        record_number=item.number,
        raw=orjson.dumps(data).decode(),  # the whole original item, recoverable
    )


def read(stream: BinaryIO, source: SourceFile) -> Iterator[Record]:
    collector = _Collector()
    data = read_json(stream)
    if data.lines is None:
        collector.add(data.document)
    else:
        for number, value in data.lines:
            if isinstance(value, Reject):
                collector.rejects.append(value)
            else:
                collector.line = number
                collector.add(value)
    yield from collector.rejects

    contents: set[int] = set()
    for item in collector.items:
        if item.type in CONTENT_TYPES and item.id not in contents:
            try:
                yield _content(item)
            except ValueError as exc:
                yield Reject.of(item.number, str(exc), orjson.dumps(item.data))
                continue
            contents.add(item.id)

    root_of = _roots(collector.items)
    position = 0
    for item in collector.items:
        if item.type != "comment":
            continue
        position += 1
        root = root_of[item.id]
        if root not in contents:
            contents.add(root)
            yield Content(platform=PLATFORM, content_id=str(root), url=item_url(root))
        try:
            yield _comment(item, root, position)
        except ValueError as exc:
            yield Reject.of(item.number, str(exc), orjson.dumps(item.data))

"""Scraped page text: title, description paragraphs, a `Comment(s)` heading, a numbered list.

Layout (FORMATS.md section 1)::

    Title line

    Description paragraph(s) ...

    Comments 12

      1. First comment
      2. Second comment, first paragraph

        second paragraph (indented 4+ spaces)

The page carries no ids, authors, likes or dates. The content id is a hash of the source URL
when one is known (hint ``url``), else of the title, so the same page scraped twice gets the same
id; comment ids are ``<content_id>:<position>``. Published times stay NULL. ``raw`` is the
comment's block exactly as in the file (a JSON string): its numbered line and every line up to
the next item (continuations, blank lines, a stray line that is also rejected; line endings
included), so the page from its first item on is the concatenation of its comments' ``raw``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import BinaryIO

import orjson

from comment_etl.formats.base import FileUnreadable, read_document
from comment_etl.records import Comment, Content, Record, Reject, SourceFile

NAME = "page_text"
PLATFORM = "web"

_HEADING = re.compile(r"^\s*(?:\d[\d.,]*\s+)?comments?(?:\s*\(?\d[\d.,]*\)?)?\s*:?\s*$", re.I)
_ITEM = re.compile(r"^ {0,3}(\d{1,7})\.\s+(\S.*)$")
_CONTINUATION = re.compile(r"^(?: {4,}|\t)\S")


def sniff(head: str, source: SourceFile) -> bool:
    lines = head.splitlines()
    for index, line in enumerate(lines):
        if _HEADING.match(line):
            return any(_ITEM.match(following) for following in lines[index + 1 : index + 50])
    return False


def content_id_for(title: str, url: str | None = None) -> str:
    basis = url or title
    return "page_" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


def _paragraphs(lines: list[str]) -> str | None:
    """Join lines into paragraphs: one blank line or more separates paragraphs."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs) or None


def read(stream: BinaryIO, source: SourceFile) -> Iterator[Record]:
    try:
        text = read_document(stream).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileUnreadable(f"page text is not valid UTF-8 at byte {exc.start}") from exc
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    as_written = text.splitlines(keepends=True)  # the same lines with their line endings

    title: str | None = None
    description: list[str] = []
    heading_line = None
    for number, line in enumerate(lines, start=1):
        if title is None:
            if line.strip():
                title = line.strip()
            continue
        if _HEADING.match(line):
            heading_line = number
            break
        description.append(line)
    if title is None or heading_line is None:
        yield Reject.of(None, "page text without a title or a 'Comments' heading", text[:200])
        return

    url = source.hints.get("url")
    content_id = content_id_for(title, url)
    yield Content(
        platform=PLATFORM,
        content_id=content_id,
        title=title,
        description=_paragraphs(description),
        url=url,
    )

    position: int | None = None
    start_line = end_line = 0
    body: list[str] = []

    def finish() -> Comment:
        assert position is not None
        block = "".join(as_written[start_line - 1 : end_line])
        return Comment(
            platform=PLATFORM,
            content_id=content_id,
            comment_id=f"{content_id}:{position}",
            text=_paragraphs(body),
            position=position,
            record_number=start_line,
            raw=orjson.dumps(block).decode(),
        )

    for number, line in enumerate(lines[heading_line:], start=heading_line + 1):
        item = _ITEM.match(line)
        if item:
            if position is not None:
                yield finish()
            position, start_line, body = int(item.group(1)), number, [item.group(2)]
        elif not line.strip():
            if position is not None:
                body.append("")
        elif _CONTINUATION.match(line) and position is not None:
            body.append(line)
        else:
            yield Reject.of(number, "text outside the numbered comment list", line)
        end_line = number
    if position is not None:
        yield finish()

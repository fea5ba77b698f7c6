"""Reading JSON dumps line by line or as one document, with per-record error reasons.

Shared by the JSON readers so they reject bad records the same way:

* a line is decoded by orjson straight from bytes (fast path); only when that fails do we look
  for the cause, so the reason says what is wrong: ``NUL byte at byte N``, ``invalid UTF-8 at
  byte N`` (0-based offset in the line; we never guess another encoding) or ``invalid JSON: ...``;
* a UTF-8 byte order mark at the start of the file is dropped;
* `read_json` tells a JSON-lines file from one (pretty-printed) JSON document by its first
  non-blank line: if that line is a JSON value on its own, the file is JSON lines and is streamed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any, BinaryIO

import orjson

from comment_etl.formats.base import FileUnreadable, OversizedLine, iter_lines, read_document
from comment_etl.records import Reject

BOM = b"\xef\xbb\xbf"


def problem(data: bytes, error: Exception) -> str:
    """Why `data` is not JSON: NUL bytes and invalid UTF-8 first, else orjson's message."""
    nul = data.find(b"\x00")
    if nul >= 0:
        return f"NUL byte at byte {nul}"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start}"
    return f"invalid JSON: {error}"


def decode_line(number: int, line: bytes) -> Any:
    """The JSON value of one line, or a `Reject` saying why it has none."""
    if isinstance(line, OversizedLine):
        return Reject.of(number, line.reason, bytes(line))
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return Reject.of(number, problem(line, exc), line)


def not_an_object(number: int | None, value: Any, where: str = "") -> Reject:
    """The reject of a record that is a JSON value but no object (a number, a list ...);
    `where` names its place in the document (``items[3]: ``)."""
    got = type(value).__name__
    return Reject.of(number, f"{where}expected a JSON object, got {got}", orjson.dumps(value))


def _blank(line: bytes) -> bool:
    return not line or line.isspace()


def without_bom(number: int, line: bytes) -> bytes:
    """The line without the UTF-8 byte order mark a file may start with."""
    if number == 1 and line.startswith(BOM):
        return line[len(BOM) :]
    return line


def _decoded(lines: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, Any]]:
    for number, _line, value in _decoded_with_lines(lines):
        yield number, value


def _decoded_with_lines(lines: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, bytes, Any]]:
    for number, line in lines:
        line = without_bom(number, line)
        if not _blank(line):
            yield number, line, decode_line(number, line)


def iter_json_lines(stream: BinaryIO) -> Iterator[tuple[int, Any]]:
    """(line number, value or `Reject`) for each non-blank line of a JSON-lines stream."""
    return _decoded(iter_lines(stream))


def iter_json_lines_raw(stream: BinaryIO) -> Iterator[tuple[int, bytes, Any]]:
    """(line number, the line's bytes, value or `Reject`) for each non-blank line: readers that
    keep the record as written (``raw``) take the line itself."""
    return _decoded_with_lines(iter_lines(stream))


def is_blank(line: bytes) -> bool:
    """A line JSON-lines readers skip (empty or only ASCII whitespace)."""
    return _blank(line)


@dataclass(slots=True)
class JsonInput:
    """A JSON file: either one parsed `document`, or streamed `lines` (line number, value)."""

    document: Any = None
    lines: Iterator[tuple[int, Any]] | None = None
    #: With `read_json(..., with_lines=True)`: (line number, line bytes, value) instead.
    raw_lines: Iterator[tuple[int, bytes, Any]] | None = None


def read_json(stream: BinaryIO, *, with_lines: bool = False) -> JsonInput:
    """Open a JSON file that may be JSON lines or one document.

    JSON lines are streamed. A document is loaded whole (these readers only accept documents for
    formats whose files are small: API pages, HN items). When the first line is not JSON on its
    own and the whole file does not parse either, the file is JSON lines with a broken first line
    if its next line parses alone; otherwise it is a broken document and `FileUnreadable` says why.
    """
    lines = iter_lines(stream)
    for number, line in lines:
        line = without_bom(number, line)
        if not _blank(line):
            break
    else:
        return _lines_input(iter(()), with_lines)

    first = decode_line(number, line)
    if not isinstance(first, Reject) or isinstance(line, OversizedLine):
        return _lines_input(chain([(number, line, first)], _decoded_with_lines(lines)), with_lines)

    data = read_document(stream, line + b"\n")
    try:
        return JsonInput(document=orjson.loads(data))
    except orjson.JSONDecodeError as exc:
        document_error = exc
    rest = [(n, raw.rstrip(b"\r")) for n, raw in enumerate(data.split(b"\n"), start=number)][1:]
    following = next(((n, raw) for n, raw in rest if not _blank(raw)), None)
    if following is not None and isinstance(decode_line(*following), dict | list):
        triples = chain([(number, line, first)], _decoded_with_lines(iter(rest)))
        return _lines_input(triples, with_lines)
    raise FileUnreadable(f"invalid JSON document: {problem(data, document_error)}")


def _lines_input(triples: Iterator[tuple[int, bytes, Any]], with_lines: bool) -> JsonInput:
    if with_lines:
        return JsonInput(raw_lines=triples)
    return JsonInput(lines=((number, value) for number, _, value in triples))

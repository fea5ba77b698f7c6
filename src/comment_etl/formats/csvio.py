"""Reading CSV dumps row by row, with per-row error reasons and a bounded row size.

Shared by the CSV readers (`csv_export`, and `generic` for CSVs without ids) so they read and
reject rows the same way:

* the file is streamed: physical lines are read as bytes (never more than the record limit at a
  time) and decoded one by one as UTF-8; a row with invalid UTF-8 or NUL bytes is rejected, not
  the file. The `csv` module does the rest: quoting, doubled quotes, quoted newlines, CRLF;
* a row longer than the record limit (`MAX_RECORD_BYTES`, set from
  ``COMMENTS_MAX_RECORD_BYTES``) is rejected with its size, whether it is one enormous line or a
  quoted field spanning many: beyond the limit only the row's structure (quotes, delimiters,
  line breaks) is passed on, so the `csv` module ends the row where it would have and memory
  stays bounded by the limit, not by the row;
* the header must be readable (else `FileUnreadable`); blank rows are skipped; a row with fewer
  fields than the header, or non-empty cells beyond it, is rejected.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import orjson

from comment_etl.formats.base import MAX_RECORD_BYTES, FileUnreadable, SourceTap, too_large
from comment_etl.records import Reject

DELIMITERS = (",", ";", "\t")
_BOM = b"\xef\xbb\xbf"
#: The `csv` module's own field limit (128 KiB by default) would fail a long comment; rows are
#: bounded by the record limit instead.
_MAX_FIELD = 2**31 - 1
#: What a row beyond the limit is reduced to: every run of other bytes becomes one "x", which
#: leaves the `csv` module's state machine where the real bytes would (a quote keeps its place
#: at the start of a field or inside one).
_NOT_STRUCTURE = {d: re.compile(b'[^"\r\n' + re.escape(d.encode()) + b"]+") for d in DELIMITERS}


def delimiter(line: str) -> str:
    """The delimiter of a header line: the most frequent of comma, semicolon and tab."""
    found = [d for d in DELIMITERS if d in line]
    return max(found, key=line.count) if found else ","


def column_names(header: list[str]) -> list[str]:
    """The header's names as JSON keys: as written, except that an empty or repeated name
    becomes ``column_<n>`` (1-based position) so no cell is lost."""
    names: list[str] = []
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        key = name if name and name not in seen else f"column_{position}"
        seen.add(key)
        names.append(key)
    return names


def row_object(names: list[str], row: list[str]) -> str:
    """One CSV row as a JSON object of column name -> cell, cells exactly as read."""
    return orjson.dumps(dict(zip(names, row, strict=False))).decode()


def excerpt(row: list[str]) -> str:
    return ",".join(row)


class _Lines:
    """Physical lines decoded as UTF-8 one by one. What was wrong with a line is noted in
    `problems` (line number -> reason) and the line is passed on repaired, so the csv module
    keeps its place and only the row holding it is rejected. `row_bytes` counts the bytes of
    the row being read (`begin_row` resets it); past `limit` only the row's structure is
    passed on."""

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.number = 0
        self.problems: dict[int, str] = {}
        self.row_bytes = 0
        self.structure = _NOT_STRUCTURE[","]

    def __iter__(self) -> _Lines:
        return self

    def begin_row(self) -> None:
        self.row_bytes = 0

    @property
    def oversized(self) -> bool:
        return self.row_bytes > self.limit

    def __next__(self) -> str:
        # Never read more than what is left of the row's allowance (+1 to see it overflow).
        raw = self.stream.readline(max(self.limit - self.row_bytes, 0) + 1)
        if not raw:
            raise StopIteration
        self.number += 1
        if self.number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        self.row_bytes += len(raw)
        if self.oversized:
            return self._structure_only(raw)
        nul = raw.find(b"\x00")
        if nul >= 0:
            self.problems[self.number] = f"NUL byte at byte {nul}"
            raw = raw.replace(b"\x00", b"")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problems.setdefault(self.number, f"invalid UTF-8 at byte {exc.start}")
            return raw.decode("utf-8", errors="replace")

    def _structure_only(self, raw: bytes) -> str:
        """This line reduced to its structure, read to its end in chunks (never held whole)."""
        parts = [self.structure.sub(b"x", raw)]
        while not raw.endswith(b"\n"):
            raw = self.stream.readline(SourceTap.CHUNK)
            if not raw:
                break
            self.row_bytes += len(raw)
            parts.append(self.structure.sub(b"x", raw))
        return b"".join(parts).decode("ascii")

    def problem(self, first: int, last: int) -> str | None:
        """The first problem noted on lines first..last (and forget those lines)."""
        found = None
        for number in range(first, last + 1):
            reason = self.problems.pop(number, None)
            if reason and found is None:
                found = reason if number == first else f"{reason} (line {number})"
        return found


@dataclass(slots=True)
class CsvRows:
    """A CSV file: its header, then (line where the row starts, cells or `Reject`) per row."""

    header: list[str]
    rows: Iterator[tuple[int, list[str] | Reject]]


def _chain_first(first: str, rest: _Lines) -> Iterator[str]:
    yield first
    yield from rest


def read_rows(stream: BinaryIO, limit: int | None = None) -> CsvRows:
    """Open a CSV stream: read its header (`FileUnreadable` when it has none or a bad one)."""
    csv.field_size_limit(max(csv.field_size_limit(), _MAX_FIELD))  # process-wide, see above
    lines = _Lines(stream, limit or MAX_RECORD_BYTES.get())
    try:
        first = next(lines)
    except StopIteration:
        raise FileUnreadable("empty CSV file") from None
    if lines.oversized:
        raise FileUnreadable(f"CSV header: {too_large(lines.row_bytes, lines.limit)}")
    if lines.problems:
        raise FileUnreadable(f"CSV header: {lines.problem(1, 1)}")
    separator = delimiter(first)
    lines.structure = _NOT_STRUCTURE[separator]
    reader = csv.reader(_chain_first(first, lines), delimiter=separator)
    header = next(reader)
    return CsvRows(header=header, rows=_rows(reader, lines, len(header)))


def _rows(
    reader: Iterator[list[str]], lines: _Lines, width: int
) -> Iterator[tuple[int, list[str] | Reject]]:
    while True:
        start = lines.number + 1
        lines.begin_row()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            lines.problem(start, lines.number)
            yield start, Reject.of(start, f"CSV error: {exc}")
            continue
        problem = lines.problem(start, lines.number)
        if lines.oversized:
            yield start, Reject.of(start, too_large(lines.row_bytes, lines.limit), excerpt(row))
            continue
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if problem:
            yield start, Reject.of(start, problem, excerpt(row))
        elif len(row) < width or any(cell.strip() for cell in row[width:]):
            reason = f"row has {len(row)} fields, the header has {width}"
            yield start, Reject.of(start, reason, excerpt(row))
        else:
            yield start, row[:width]

"""Read a dump exactly as the pipeline does (detect, decompress, read): shared by format tests."""

from __future__ import annotations

from pathlib import Path

from comment_etl.formats.base import detect_format, open_decompressed
from comment_etl.formats.registry import FORMATS
from comment_etl.records import Comment, Record, SourceFile


def read_records(path: Path, **hints: str) -> tuple[str, list[Record]]:
    """(format name, every record) of the file at `path`."""
    source = SourceFile(path=str(path), name=path.name, hints=hints)
    module = detect_format(path, source, FORMATS)
    with open_decompressed(path) as stream:
        return module.NAME, list(module.read(stream, source))


def comments(records: list[Record]) -> list[Comment]:
    return [r for r in records if isinstance(r, Comment)]

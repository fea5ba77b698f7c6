"""The reader interface every dump format implements, and the format detector.

A format is one module in this package that defines:

* ``NAME``: a short name stored in the load ledger (``page_text``, ``ytcd_jsonl`` ...);
* ``sniff(head: str, source: SourceFile) -> bool``: True when the first bytes of the
  (decompressed) file look like this format. The file extension is only a hint;
* ``read(stream: BinaryIO, source: SourceFile) -> Iterator[Record]``: stream the file and yield
  canonical `Content`, `Comment` and `Reject` records. A bad record is yielded as a `Reject`
  (with its line or record number) and reading goes on. Only a file that cannot be read to its
  end raises (`FileUnreadable`, or the decompressor's own error); the parse step then marks the
  whole file failed and loads nothing from it.

Adding a format means adding its module, listing it in `formats.registry`, a fixture and a test.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import BinaryIO

import zstandard

from comment_etl.records import SourceFile

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
#: Reddit dumps are compressed with a long window; the decoder must be allowed to use it.
ZSTD_MAX_WINDOW = 2**31
SNIFF_BYTES = 64 * 1024


class FileUnreadable(Exception):
    """The file cannot be read to its end (truncated, not text, wrong format)."""


class UnknownFormat(FileUnreadable):
    """No reader recognised the file."""


def compression_of(path: str | Path) -> str | None:
    """Detect compression from the magic bytes (not the extension)."""
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic.startswith(GZIP_MAGIC):
        return "gzip"
    if magic.startswith(ZSTD_MAGIC):
        return "zstd"
    return None


@contextmanager
def open_decompressed(path: str | Path) -> Iterator[BinaryIO]:
    """Open a dump as a streaming binary file, decompressing gzip or zstd on the fly."""
    kind = compression_of(path)
    raw = open(path, "rb")  # noqa: SIM115 - closed in finally
    try:
        if kind == "gzip":
            yield gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[misc]
        elif kind == "zstd":
            dctx = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
            reader = dctx.stream_reader(raw, read_across_frames=True)
            yield io.BufferedReader(reader, buffer_size=1 << 20)  # type: ignore[arg-type]
        else:
            yield raw
    finally:
        raw.close()


def read_head(path: str | Path, size: int = SNIFF_BYTES) -> str:
    """The first `size` decompressed bytes as text (undecodable bytes replaced), for sniffing."""
    with open_decompressed(path) as stream:
        try:
            data = stream.read(size)
        except (EOFError, OSError, zstandard.ZstdError) as exc:
            raise FileUnreadable(f"cannot decompress the start of the file: {exc}") from exc
    if b"\x00" in data[:4096] and not _looks_like_utf16(data):
        raise FileUnreadable("binary data (NUL bytes) at the start of the file; not a text dump")
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


def _looks_like_utf16(data: bytes) -> bool:
    return data.startswith((b"\xff\xfe", b"\xfe\xff"))


def detect_format(path: str | Path, source: SourceFile, formats: list[ModuleType]) -> ModuleType:
    """Return the first format module whose `sniff` accepts the file's head."""
    head = read_head(path)
    if not head.strip():
        raise UnknownFormat("the file is empty")
    for module in formats:
        if module.sniff(head, source):
            return module
    tried = ", ".join(module.NAME for module in formats)
    raise UnknownFormat(f"unknown format: none of the readers matched (tried {tried})")


def iter_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """Yield (1-based line number, raw line bytes without the newline) from a binary stream."""
    for number, line in enumerate(stream, start=1):
        yield number, line.rstrip(b"\r\n")

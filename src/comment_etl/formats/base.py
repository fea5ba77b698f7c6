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
from typing import Any, BinaryIO

import zstandard

from comment_etl.records import SourceFile

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
#: Reddit dumps are compressed with a long window; the decoder must be allowed to use it.
ZSTD_MAX_WINDOW = 2**31
SNIFF_BYTES = 64 * 1024
#: More NUL bytes than this in the first 4 KiB means binary data, not a text dump.
BINARY_NULS = 4


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
            yield io.BufferedReader(_ZstdFrames(raw), buffer_size=1 << 20)
        else:
            yield raw
    finally:
        raw.close()


class _ZstdFrames(io.RawIOBase):
    """Decompress concatenated zstd frames; raise when the input ends inside a frame.

    `ZstdDecompressor.stream_reader` returns a clean end of file for a truncated stream, so a
    half-downloaded dump would load as a shorter one. Feeding a `decompressobj` frame by frame
    lets us see that the last frame never finished and fail the file instead.
    """

    CHUNK = 1 << 20

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.dctx = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
        self.frame = self.dctx.decompressobj()
        self.in_frame = False
        self.pending = memoryview(b"")
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:  # a writable buffer (bytearray, memoryview)
        while not self.pending:
            if self.done:
                return 0
            chunk = self.raw.read(self.CHUNK)
            if not chunk:
                self.done = True
                if self.in_frame:
                    raise zstandard.ZstdError("truncated zstd data: the input ends inside a frame")
                return 0
            self.pending = memoryview(self._decompress(chunk))
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size

    def _decompress(self, chunk: bytes) -> bytes:
        out = []
        while chunk:
            self.in_frame = True
            out.append(self.frame.decompress(chunk))
            if not self.frame.eof:
                break
            chunk = self.frame.unused_data  # the next frame starts here
            self.frame = self.dctx.decompressobj()
            self.in_frame = False
        return b"".join(out)


def read_head(path: str | Path, size: int = SNIFF_BYTES) -> str:
    """The first `size` decompressed bytes as text (undecodable bytes replaced), for sniffing."""
    with open_decompressed(path) as stream:
        try:
            data = stream.read(size)
        except (EOFError, OSError, zstandard.ZstdError) as exc:
            raise FileUnreadable(f"cannot decompress the start of the file: {exc}") from exc
    # A stray NUL in a text dump is one bad record (its reader rejects it); binary data has them
    # everywhere (random bytes: ~16 in 4 KiB), UTF-16 text in every other byte.
    if data[:4096].count(b"\x00") > BINARY_NULS and not _looks_like_utf16(data):
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

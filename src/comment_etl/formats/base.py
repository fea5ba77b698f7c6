"""The reader interface every dump format implements (`FormatReader`), and the format detector.

A format is one module in this package that satisfies `FormatReader`, i.e. defines:

* ``NAME``: a short name stored in the load ledger (``page_text``, ``ytcd_jsonl`` ...);
* ``sniff(head: str, source: SourceFile) -> bool``: True when the first bytes of the
  (decompressed) file look like this format. The file extension is only a hint;
* ``read(stream: BinaryIO, source: SourceFile) -> Iterator[Record]``: stream the file and yield
  canonical `Content`, `Comment` and `Reject` records. A bad record is yielded as a `Reject`
  (with its line or record number) and reading goes on. Only a file that cannot be read to its
  end raises (`FileUnreadable`, or the decompressor's own error); the parse step then marks the
  whole file failed and loads nothing from it.

Adding a format means adding its module, listing it in `formats.registry`, a fixture and a test
(step by step: ``formats/README.md``; field by field, per format: ``FORMATS.md``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import zstandard

from comment_etl.config import DEFAULT_MAX_DOCUMENT_BYTES, DEFAULT_MAX_RECORD_BYTES
from comment_etl.records import Record, SourceFile

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
#: Reddit dumps are compressed with a long window; the decoder must be allowed to use it.
ZSTD_MAX_WINDOW = 2**31
SNIFF_BYTES = 64 * 1024
#: More NUL bytes than this in the first 4 KiB means binary data, not a text dump.
BINARY_NULS = 4
#: The ratio guard only looks at files that already decompressed to more than this: a small
#: file that compresses well is no threat, a "zip bomb" is.
RATIO_GUARD_AFTER_BYTES = 64 * 1024**2
#: The limits of the file being parsed (a context variable, so readers need no extra argument).
#: The parse step sets them from `COMMENTS_MAX_RECORD_BYTES` and `COMMENTS_MAX_DOCUMENT_BYTES`;
#: the defaults are `config`'s.
MAX_RECORD_BYTES: ContextVar[int] = ContextVar("max_record_bytes", default=DEFAULT_MAX_RECORD_BYTES)
MAX_DOCUMENT_BYTES: ContextVar[int] = ContextVar(
    "max_document_bytes", default=DEFAULT_MAX_DOCUMENT_BYTES
)


class FormatReader(Protocol):
    """A dump format: a module with these three names (see the module docstring)."""

    NAME: str

    def sniff(self, head: str, source: SourceFile) -> bool: ...

    def read(self, stream: BinaryIO, source: SourceFile) -> Iterator[Record]: ...


class FileUnreadable(Exception):
    """The file cannot be read to its end (truncated, not text, wrong format)."""


class UnknownFormat(FileUnreadable):
    """No reader recognised the file."""


class DecompressionBomb(FileUnreadable):
    """The file decompresses to far more than real comment dumps do."""


class SourceTap(io.RawIOBase):
    """The dump file as read from disk, hashed and counted on the way through.

    Parsing reads the file once; the sha256 of exactly those bytes is compared with the one
    discovery recorded, so the bytes the ledger names are the bytes that were parsed.
    """

    CHUNK = 1 << 20

    def __init__(self, path: str | Path) -> None:
        self.file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self.digest = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = self.file.readinto(buffer)
        if size:
            self.digest.update(memoryview(buffer)[:size])
            self.count += size
        return size or 0

    def drain(self) -> None:
        """Hash whatever the reader did not need (a trailer, bytes after the last record)."""
        while chunk := self.file.read(self.CHUNK):
            self.digest.update(chunk)
            self.count += len(chunk)

    def hexdigest(self) -> str:
        return self.digest.hexdigest()

    def close(self) -> None:
        self.file.close()
        super().close()


class _RatioGuard(io.RawIOBase):
    """Count decompressed bytes and stop a file that inflates like a decompression bomb."""

    def __init__(self, stream: BinaryIO, tap: SourceTap, max_ratio: float) -> None:
        self.stream = stream
        self.tap = tap
        self.max_ratio = max_ratio
        self.out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = self.stream.readinto(buffer)  # type: ignore[attr-defined]
        self.out += size or 0
        if self.out > RATIO_GUARD_AFTER_BYTES and self.out > self.max_ratio * max(
            self.tap.count, 1
        ):
            raise DecompressionBomb(
                f"decompression ratio above {self.max_ratio:g}:1 ({self.tap.count} compressed "
                f"bytes gave {self.out} so far): not a comment dump, or one record repeated "
                "millions of times (COMMENTS_MAX_DECOMPRESSION_RATIO)"
            )
        return size or 0


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
def open_decompressed(
    path: str | Path,
    tap: SourceTap | None = None,
    max_ratio: float | None = None,
) -> Iterator[BinaryIO]:
    """Open a dump as a streaming binary file, decompressing gzip or zstd on the fly.

    With a `tap`, the file's bytes are read through it (hashed and counted); with `max_ratio`
    as well, a compressed file inflating beyond that ratio raises `DecompressionBomb`.
    """
    kind = compression_of(path)
    raw: Any = tap if tap is not None else open(path, "rb")  # noqa: SIM115 - closed in finally
    try:
        stream: Any
        if kind == "gzip":
            stream = gzip.GzipFile(fileobj=raw, mode="rb")
        elif kind == "zstd":
            stream = io.BufferedReader(_ZstdFrames(raw), buffer_size=1 << 20)
        else:
            yield raw if tap is None else io.BufferedReader(tap, buffer_size=1 << 20)
            return
        if tap is not None and max_ratio:
            stream = io.BufferedReader(_RatioGuard(stream, tap, max_ratio), buffer_size=1 << 20)
        yield stream
    finally:
        if tap is None:
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
        except (EOFError, gzip.BadGzipFile, zlib.error, zstandard.ZstdError) as exc:
            # Not OSError in general: an I/O error of the disk is not the file's fault.
            raise FileUnreadable(f"cannot decompress the start of the file: {exc}") from exc
    # A stray NUL in a text dump is one bad record (its reader rejects it); binary data has them
    # everywhere (random bytes: ~16 in 4 KiB), UTF-16 text in every other byte.
    if data[:4096].count(b"\x00") > BINARY_NULS and not _looks_like_utf16(data):
        raise FileUnreadable("binary data (NUL bytes) at the start of the file; not a text dump")
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


def _looks_like_utf16(data: bytes) -> bool:
    return data.startswith((b"\xff\xfe", b"\xfe\xff"))


def detect_format(
    path: str | Path, source: SourceFile, formats: list[FormatReader]
) -> FormatReader:
    """Return the first format module whose `sniff` accepts the file's head."""
    head = read_head(path)
    if not head.strip():
        raise UnknownFormat("the file is empty")
    for module in formats:
        if module.sniff(head, source):
            return module
    tried = ", ".join(module.NAME for module in formats)
    raise UnknownFormat(f"unknown format: none of the readers matched (tried {tried})")


def too_large(size: int, limit: int) -> str:
    """The reject reason of a record over the record size limit."""
    return (
        f"record too large: {size} bytes, over the limit of {limit} bytes "
        "(COMMENTS_MAX_RECORD_BYTES); not loaded"
    )


class OversizedLine(bytes):
    """The start of a line longer than the record limit; `size` is its full length in bytes.

    The rest of the line was read and dropped in chunks, never held in memory; readers turn it
    into a `Reject` (see `formats.jsonio.decode_line`).
    """

    size: int
    limit: int

    def __new__(cls, head: bytes, size: int, limit: int) -> OversizedLine:
        line = super().__new__(cls, head)
        line.size = size
        line.limit = limit
        return line

    @property
    def reason(self) -> str:
        return too_large(self.size, self.limit)


#: How much of an oversized line is kept for the reject's excerpt.
OVERSIZED_HEAD = 1024


def iter_lines(stream: BinaryIO, limit: int | None = None) -> Iterator[tuple[int, bytes]]:
    """Yield (1-based line number, raw line bytes without the newline) from a binary stream.

    A line longer than `limit` bytes (default: the `MAX_RECORD_BYTES` of this parse) is yielded
    as an `OversizedLine` holding only its first bytes: memory stays bounded by the limit
    whatever the file holds (a 1 GB line in a small `.gz`).
    """
    limit = limit or MAX_RECORD_BYTES.get()
    number = 0
    while line := stream.readline(limit + 1):
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            size, head = len(line), line[:OVERSIZED_HEAD]
            del line
            while more := stream.readline(SourceTap.CHUNK):
                size += len(more)
                if more.endswith(b"\n"):
                    size -= 1
                    break
            yield number, OversizedLine(head, size, limit)
            continue
        yield number, line.rstrip(b"\r\n")


def read_document(stream: BinaryIO, prefix: bytes = b"") -> bytes:
    """The rest of `stream` as one document, refused beyond `MAX_DOCUMENT_BYTES`."""
    limit = MAX_DOCUMENT_BYTES.get()
    data = stream.read(limit + 1 - len(prefix))
    if len(prefix) + len(data) > limit:
        raise FileUnreadable(
            f"a single JSON/text document larger than {limit} bytes "
            "(COMMENTS_MAX_DOCUMENT_BYTES); split it into JSON lines or raise the limit"
        )
    return prefix + data

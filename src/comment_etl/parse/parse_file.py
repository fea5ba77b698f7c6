"""Parse one dump file into Parquet files: the work of one mapped Airflow task.

Parsing never touches the warehouse, so any number of files can be parsed in parallel processes
while DuckDB keeps its single writer. The output of a file is a folder with ``comments.parquet``
(written in row groups of ``batch_rows`` as the file streams, so memory stays flat with file
size), ``contents.parquet`` and ``rejects.parquet``, plus a JSON-able manifest the loader reads.

A file that cannot be read to its end (truncated compression, invalid encoding, unknown format,
a decompression bomb) produces no data files at all: its manifest says ``failed`` with the
reason, and the loader records that in the ledger and the rejects table, so it never vanishes
silently.

Only errors in the input itself mark a file failed (`INPUT_ERRORS`). An environmental error (the
work folder is full, an I/O error, a permission problem) is raised: the task goes red and is
retried, and the file stays out of the ledger so no good file is ever recorded as bad.

The file is hashed while it is parsed: when its bytes are not the ones discovery hashed (it was
still being written, or replaced), the manifest says ``skipped`` and nothing is recorded, so the
finished file is loaded by a later run under its final sha256.
"""

from __future__ import annotations

import gzip
import logging
import shutil
import zlib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from comment_etl.config import (
    DEFAULT_MAX_DECOMPRESSION_RATIO,
    DEFAULT_MAX_DOCUMENT_BYTES,
    DEFAULT_MAX_RECORD_BYTES,
)
from comment_etl.formats.base import (
    MAX_DOCUMENT_BYTES,
    MAX_RECORD_BYTES,
    FileUnreadable,
    SourceTap,
    detect_format,
    open_decompressed,
)
from comment_etl.formats.mapping import hints_for as mapping_hints
from comment_etl.formats.registry import FORMATS
from comment_etl.normalize.language import get_detector
from comment_etl.normalize.language_cache import CachedLabeler, PendingBatch
from comment_etl.normalize.text import normalize_label, normalize_text
from comment_etl.records import (
    COMMENT_READER_FIELDS,
    COMMENT_SCHEMA,
    CONTENT_SCHEMA,
    REJECT_SCHEMA,
    Comment,
    Content,
    Manifest,
    Reject,
    SourceFile,
)
from comment_etl.warehouse.target import Warehouse

log = logging.getLogger(__name__)

#: Errors in the input itself ("this file cannot be read to its end"): the whole file fails and
#: nothing of it loads. Not OSError in general: a full disk or an I/O error is not the file's
#: fault and must fail the task (retried) instead. `gzip.BadGzipFile` is an OSError subclass
#: that does describe the input, so it is listed explicitly.
INPUT_ERRORS = (
    FileUnreadable,
    EOFError,
    gzip.BadGzipFile,
    zlib.error,
    zstandard.ZstdError,
    UnicodeDecodeError,
)


class _CommentBatches:
    """Accumulates comments column-wise and writes normalized, language-tagged row groups."""

    def __init__(
        self,
        path: Path,
        source_file: str,
        batch_rows: int,
        detector_name: str,
        language_cache: Warehouse | None,
        workers: int | None = None,
    ):
        self.path = path
        self.source_file = source_file
        self.batch_rows = batch_rows
        self.detector = get_detector(detector_name, workers)
        self.labeler = CachedLabeler(
            self.detector, language_cache, path.with_name("language_cache.parquet")
        )
        self.columns: dict[str, list[Any]] = {name: [] for name in COMMENT_READER_FIELDS}
        self.writer: pq.ParquetWriter | None = None
        self.count = 0
        #: The batch whose languages are being detected while the next one is decoded.
        self._waiting: tuple[dict[str, Any], PendingBatch] | None = None

    def add(self, comment: Comment) -> None:
        for name, values in self.columns.items():
            values.append(getattr(comment, name))
        if len(self.columns["comment_id"]) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        """Normalize the collected rows and start their language detection; write the batch
        before (whose detection ran while these rows were decoded)."""
        rows = len(self.columns["comment_id"])
        if not rows:
            return
        arrays = {
            name: pa.array(values, type=COMMENT_SCHEMA.field(name).type)
            for name, values in self.columns.items()
        }
        self.columns = {name: [] for name in COMMENT_READER_FIELDS}
        arrays["text"] = normalize_text(arrays["text"])
        arrays["author_name"] = normalize_label(arrays["author_name"])
        pending = self.labeler.submit(arrays["text"].to_pylist())
        self._write_waiting()
        self._waiting = (arrays, pending)

    def _write_waiting(self) -> None:
        if self._waiting is None:
            return
        arrays, pending = self._waiting
        self._waiting = None
        rows = len(arrays["comment_id"])
        languages, confidences = pending.result()
        arrays["language"] = pa.array(languages, pa.string())
        arrays["language_confidence"] = pa.array(confidences, pa.float64())
        arrays["language_detector"] = pa.array([self.detector.name] * rows, pa.string())
        arrays["source_file"] = pa.array([self.source_file] * rows, pa.string())
        table = pa.table([arrays[f.name] for f in COMMENT_SCHEMA], schema=COMMENT_SCHEMA)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, COMMENT_SCHEMA, compression="zstd")
        self.writer.write_table(table)
        self.count += rows

    def close(self) -> None:
        self.flush()
        self._write_waiting()
        self.labeler.close()
        if self.writer is None:  # no comments: still write an empty file with the schema
            pq.write_table(COMMENT_SCHEMA.empty_table(), self.path)
        else:
            self.writer.close()

    def abort(self) -> None:
        """After a failed read: drop what is in flight, close the files."""
        self._waiting = None
        self.labeler.close()
        if self.writer is not None:
            self.writer.close()


def _merge_content(known: dict[tuple[str, str], Content], content: Content) -> None:
    """Several records may describe one content: keep the first non-null value per field."""
    key = (content.platform, content.content_id)
    current = known.get(key)
    if current is None:
        known[key] = content
        return
    for name in ("title", "description", "url", "channel", "published_at"):
        if getattr(current, name) is None and getattr(content, name) is not None:
            setattr(current, name, getattr(content, name))


def _write_contents(path: Path, contents: list[Content], source_file: str) -> None:
    columns: dict[str, list[Any]] = {f.name: [] for f in CONTENT_SCHEMA}
    for content in contents:
        for name in columns:
            columns[name].append(source_file if name == "source_file" else getattr(content, name))
    arrays = [pa.array(columns[f.name], type=f.type) for f in CONTENT_SCHEMA]
    table = pa.table(arrays, schema=CONTENT_SCHEMA)
    table = table.set_column(
        table.schema.get_field_index("title"), "title", normalize_label(table["title"])
    )
    table = table.set_column(
        table.schema.get_field_index("description"),
        "description",
        normalize_text(table["description"]),
    )
    pq.write_table(table, path)


def _write_rejects(path: Path, rejects: list[Reject], source_file: str) -> None:
    table = pa.table(
        {
            "source_file": pa.array([source_file] * len(rejects), pa.string()),
            "record_number": pa.array([r.record_number for r in rejects], pa.int64()),
            "reason": pa.array([r.reason for r in rejects], pa.string()),
            "raw_excerpt": pa.array([r.raw_excerpt for r in rejects], pa.string()),
        },
        schema=REJECT_SCHEMA,
    )
    pq.write_table(table, path)


def parse_file(
    path: str | Path,
    source_file: str,
    sha256: str,
    size_bytes: int,
    output_dir: str | Path,
    *,
    batch_rows: int = 50_000,
    detector: str = "langdetect",
    hints: dict[str, str] | None = None,
    language_cache: Warehouse | None = None,
    language_workers: int | None = None,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
    max_decompression_ratio: float = DEFAULT_MAX_DECOMPRESSION_RATIO,
    verify_bytes: bool = False,
) -> Manifest:
    """Parse `path` into Parquet files under `output_dir`.

    Never raises for bad input (a ``failed`` manifest says why); raises for environmental errors
    (OSError writing the outputs or reading the disk), after removing its partial outputs.
    With `verify_bytes` (the pipeline always sets it), a file whose bytes are not `sha256` /
    `size_bytes` any more gives a ``skipped`` manifest.
    """
    record_token = MAX_RECORD_BYTES.set(max_record_bytes)
    document_token = MAX_DOCUMENT_BYTES.set(max_document_bytes)
    try:
        return _parse_file(
            Path(path),
            source_file,
            sha256,
            size_bytes,
            Path(output_dir),
            batch_rows=batch_rows,
            detector=detector,
            hints=hints,
            language_cache=language_cache,
            language_workers=language_workers,
            max_ratio=max_decompression_ratio,
            verify_bytes=verify_bytes,
        )
    finally:
        MAX_RECORD_BYTES.reset(record_token)
        MAX_DOCUMENT_BYTES.reset(document_token)


def _discard(out: Path, comments: _CommentBatches) -> None:
    """Close what is open and remove a file's partial outputs (they may fill the disk)."""
    try:
        comments.abort()
    except Exception:
        log.debug("closing partial outputs of %s failed", out, exc_info=True)
    shutil.rmtree(out, ignore_errors=True)


def _parse_file(
    path: Path,
    source_file: str,
    sha256: str,
    size_bytes: int,
    out: Path,
    *,
    batch_rows: int,
    detector: str,
    hints: dict[str, str] | None,
    language_cache: Warehouse | None,
    language_workers: int | None,
    max_ratio: float,
    verify_bytes: bool,
) -> Manifest:
    if out.exists():  # a retried task starts clean
        shutil.rmtree(out)
    out.mkdir(parents=True)
    manifest = Manifest(
        source_file=source_file,
        path=str(path),
        sha256=sha256,
        size_bytes=size_bytes,
        status="parsed",
        output_dir=str(out),
    )
    source = SourceFile(path=str(path), name=Path(path).name, hints=dict(hints or {}))
    contents: dict[tuple[str, str], Content] = {}
    rejects: list[Reject] = []
    comments = _CommentBatches(
        out / "comments.parquet",
        source_file,
        batch_rows,
        detector,
        language_cache,
        language_workers,
    )
    try:
        source.hints.update(mapping_hints(path))  # comments_sources.yml (formats/mapping.py)
        module = detect_format(path, source, FORMATS)
        manifest.format = module.NAME
        with SourceTap(path) as tap:
            with open_decompressed(path, tap, max_ratio) as stream:
                for record in module.read(stream, source):
                    if isinstance(record, Comment):
                        comments.add(record)
                    elif isinstance(record, Content):
                        _merge_content(contents, record)
                    else:
                        rejects.append(record)
                tap.drain()
            parsed_sha256, parsed_size = tap.hexdigest(), tap.count
        comments.close()
    except INPUT_ERRORS as exc:
        _discard(out, comments)
        manifest.status = "failed"
        manifest.error = f"{type(exc).__name__}: {exc}"
        manifest.output_dir = None
        log.error(
            "FILE FAILED %r (format %s): %s. Nothing from this file is loaded; it is recorded "
            "as failed in staging.load_ledger. Fix or re-export the file and drop the new "
            "version into the landing folder (a file with new content is picked up again).",
            source_file,
            manifest.format or "unknown",
            manifest.error,
        )
        return manifest
    except BaseException:
        # Environmental (disk full, I/O error, permission, killed): not the file's fault. No
        # manifest: the task fails red, is retried, and the file stays out of the ledger.
        _discard(out, comments)
        log.error(
            "could not parse %r because of the environment, not the file (see the traceback); "
            "the file is NOT marked failed and is parsed again when the task is retried",
            source_file,
        )
        raise
    finally:
        # Worker processes must not sit idle (hundreds of MB) through the rest of the run.
        comments.detector.close()

    if verify_bytes and (parsed_sha256, parsed_size) != (sha256, size_bytes):
        _discard(out, comments)
        manifest.status = "skipped"
        manifest.output_dir = None
        manifest.error = (
            f"the file changed after discovery ({size_bytes} bytes, sha256 {sha256[:12]} when "
            f"discovered; {parsed_size} bytes, sha256 {parsed_sha256[:12]} when parsed)"
        )
        log.warning(
            "SKIPPED %r: %s. It is still being written or was replaced; nothing is recorded, "
            "and the next run loads it once it is stable.",
            source_file,
            manifest.error,
        )
        return manifest

    try:
        _write_contents(out / "contents.parquet", list(contents.values()), source_file)
        _write_rejects(out / "rejects.parquet", rejects, source_file)
    except BaseException:
        _discard(out, comments)
        raise
    manifest.files = {
        "language_cache": str(out / "language_cache.parquet"),
        "comments": str(out / "comments.parquet"),
        "contents": str(out / "contents.parquet"),
        "rejects": str(out / "rejects.parquet"),
    }
    manifest.comments = comments.count
    manifest.contents = len(contents)
    manifest.rejects = len(rejects)
    for reject in rejects[:20]:
        log.warning("REJECTED %r record %s: %s", source_file, reject.record_number, reject.reason)
    if len(rejects) > 20:
        log.warning(
            "... and %d more rejects in %r (see staging.rejects)", len(rejects) - 20, source_file
        )
    log.info(
        "parsed %r as %s: %d comments, %d contents, %d rejects; language labels: %d computed "
        "by %s, %d from the cache",
        source_file,
        manifest.format,
        manifest.comments,
        manifest.contents,
        manifest.rejects,
        comments.labeler.computed,
        comments.detector.name,
        comments.labeler.hits,
    )
    return manifest

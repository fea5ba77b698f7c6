"""The canonical records every format reader yields, and their Arrow schemas.

A reader turns one dump file into a stream of `Content`, `Comment` and `Reject` objects. Values a
source does not carry stay `None` (the scraped page has no dates, authors or likes): we never
invent them. Text is passed through as the source has it; `normalize.text` cleans it in Arrow
batches afterwards, so readers stay simple and the expensive part is vectorized.

The Arrow schemas are the staging contract (`staging.contents`, `staging.comments`,
`staging.rejects`) minus the columns the loader adds (`load_id`, `ingested_at`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

RAW_EXCERPT_CHARS = 500


@dataclass(slots=True)
class Content:
    """A video, post or page that comments belong to."""

    platform: str
    content_id: str
    title: str | None = None
    description: str | None = None
    url: str | None = None
    channel: str | None = None
    published_at: datetime | None = None


@dataclass(slots=True)
class Comment:
    """One comment or reply, as observed in one dump."""

    platform: str
    content_id: str
    comment_id: str
    text: str | None
    parent_comment_id: str | None = None
    author_name: str | None = None
    author_id: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    retrieved_at: datetime | None = None
    like_count: int | None = None
    reply_count: int | None = None
    position: int | None = None
    is_deleted: bool = False
    record_number: int | None = None
    raw: str | None = None


@dataclass(slots=True)
class Reject:
    """A record (or a whole file, record_number None) that could not be used, and why."""

    record_number: int | None
    reason: str
    raw_excerpt: str | None = None

    @classmethod
    def of(cls, record_number: int | None, reason: str, raw: object = None) -> Reject:
        excerpt = None
        if raw is not None:
            if isinstance(raw, bytes):
                text = raw.decode("utf-8", errors="backslashreplace")
            else:
                text = str(raw)
            excerpt = text[:RAW_EXCERPT_CHARS]
        return cls(record_number=record_number, reason=reason, raw_excerpt=excerpt)


Record = Content | Comment | Reject

TS = pa.timestamp("us", tz="UTC")

CONTENT_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("content_id", pa.string()),
        ("title", pa.string()),
        ("description", pa.string()),
        ("url", pa.string()),
        ("channel", pa.string()),
        ("published_at", TS),
        ("source_file", pa.string()),
    ]
)

COMMENT_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("content_id", pa.string()),
        ("comment_id", pa.string()),
        ("parent_comment_id", pa.string()),
        ("author_name", pa.string()),
        ("author_id", pa.string()),
        ("text", pa.string()),
        ("published_at", TS),
        ("updated_at", TS),
        ("retrieved_at", TS),
        ("like_count", pa.int64()),
        ("reply_count", pa.int64()),
        ("position", pa.int64()),
        ("is_deleted", pa.bool_()),
        ("language", pa.string()),
        ("language_confidence", pa.float64()),
        ("language_detector", pa.string()),
        ("record_number", pa.int64()),
        ("raw", pa.string()),
        ("source_file", pa.string()),
    ]
)

REJECT_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("record_number", pa.int64()),
        ("reason", pa.string()),
        ("raw_excerpt", pa.string()),
    ]
)

#: Comment fields a reader fills (the rest are added by normalization and the loader).
COMMENT_READER_FIELDS = [
    "platform",
    "content_id",
    "comment_id",
    "parent_comment_id",
    "author_name",
    "author_id",
    "text",
    "published_at",
    "updated_at",
    "retrieved_at",
    "like_count",
    "reply_count",
    "position",
    "is_deleted",
    "record_number",
    "raw",
]


@dataclass(slots=True)
class SourceFile:
    """What a reader knows about the file it reads."""

    path: str
    name: str
    hints: dict[str, str] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        """File name without compression and format extensions (`abc123.jsonl.gz` -> `abc123`)."""
        name = self.name
        for ext in (".gz", ".zst", ".zstd", ".json", ".jsonl", ".ndjson", ".txt", ".csv"):
            if name.lower().endswith(ext):
                name = name[: -len(ext)]
        return name


@dataclass
class Manifest:
    """What parsing one file produced; passed (as a dict) from the parse task to the loader."""

    source_file: str
    path: str
    sha256: str
    size_bytes: int
    status: str  # "parsed", "failed", or "skipped" (changed since discovery: not recorded)
    format: str | None = None
    comments: int = 0
    contents: int = 0
    rejects: int = 0
    error: str | None = None
    output_dir: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    #: The file's modification time (epoch seconds) when discovered.
    modified_at: float | None = None
    #: Lake mode: the parse task staged the file itself; this is its `LoadSummary` as a dict.
    staged: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        return cls(**data)

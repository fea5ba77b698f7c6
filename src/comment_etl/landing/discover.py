"""Find the dump files in the landing folder that the warehouse has not seen yet.

A file is identified by the sha256 of its bytes, not its name: a file is loaded once however
often it is copied or renamed, and a corrected re-export (new bytes) is picked up again even
when an earlier version failed. Entries that are not regular files inside the landing folder
(a directory named like a dump, a symlink pointing outside) are returned as ``invalid`` so the
loader records them as failed instead of silently skipping them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from comment_etl.landing.files import is_ignored, sha256_of

log = logging.getLogger(__name__)


@dataclass
class Candidate:
    source_file: str  # path relative to the landing folder, the name used everywhere
    path: str
    sha256: str
    size_bytes: int
    invalid_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _invalid(landing: Path, entry: Path, reason: str) -> Candidate:
    source_file = entry.relative_to(landing).as_posix()
    marker = hashlib.sha256(f"invalid:{source_file}:{reason}".encode()).hexdigest()
    return Candidate(source_file, str(entry), marker, 0, invalid_reason=reason)


def scan_landing(landing_dir: str | Path) -> list[Candidate]:
    """Every dump-like entry below the landing folder, hashed, in a stable order."""
    landing = Path(landing_dir).resolve()
    found: list[Candidate] = []
    for entry in sorted(landing.rglob("*")):
        if any(is_ignored(part) for part in entry.relative_to(landing).parts):
            continue
        if entry.is_symlink():
            target = entry.resolve()
            if not target.is_relative_to(landing):
                found.append(_invalid(landing, entry, "symlink points outside the landing folder"))
                continue
            if target.is_dir():
                continue
        if entry.is_dir():
            if entry.suffix.lower() in {
                ".json",
                ".jsonl",
                ".ndjson",
                ".csv",
                ".txt",
                ".gz",
                ".zst",
            }:
                found.append(_invalid(landing, entry, "a directory, not a dump file"))
            continue
        if not entry.is_file():
            found.append(_invalid(landing, entry, "not a regular file"))
            continue
        found.append(
            Candidate(
                source_file=entry.relative_to(landing).as_posix(),
                path=str(entry),
                sha256=sha256_of(entry),
                size_bytes=entry.stat().st_size,
            )
        )
    return found


def new_candidates(candidates: Iterable[Candidate], known_sha256: set[str]) -> list[Candidate]:
    """Drop files whose bytes the ledger already has, and duplicates within this scan."""
    fresh: list[Candidate] = []
    seen: dict[str, str] = {}
    for candidate in candidates:
        if candidate.sha256 in known_sha256:
            continue
        if candidate.sha256 in seen:
            log.info(
                "skipping %s: same bytes as %s in this run",
                candidate.source_file,
                seen[candidate.sha256],
            )
            continue
        seen[candidate.sha256] = candidate.source_file
        fresh.append(candidate)
    return fresh

"""Find the dump files in the landing folder that the warehouse has not seen yet.

A file is identified by the sha256 of its bytes, not its name: a file is loaded once however
often it is copied or renamed, and a corrected re-export (new bytes) is picked up again even
when an earlier version failed. Entries that are not regular files inside the landing folder
(a directory named like a dump, a symlink pointing outside) are returned as ``invalid`` so the
loader records them as failed instead of silently skipping them.

Days: dumps may land in dated folders, ``landing/YYYY-MM-DD/...``. A run for day D takes the
folders of D and of earlier days (a late file for yesterday is still picked up; every file loads
once, by sha256) plus every undated file; folders of later days wait for their own run. A run
without a day (a manual trigger without a logical date) takes everything.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from comment_etl.landing.files import is_ignored, sha256_of

log = logging.getLogger(__name__)

_DAY_FOLDER = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


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


def folder_day(relative: Path) -> date | None:
    """The day of a dated landing folder (first path part ``YYYY-MM-DD``), else None."""
    match = _DAY_FOLDER.match(relative.parts[0]) if len(relative.parts) > 1 else None
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:  # 2026-13-45: not a day, an ordinary folder name
        return None


def scan_landing(landing_dir: str | Path, up_to_day: date | None = None) -> list[Candidate]:
    """Every dump-like entry below the landing folder, hashed, in a stable order.

    With `up_to_day`, dated folders of later days are left for their own run.
    """
    landing = Path(landing_dir).resolve()
    found: list[Candidate] = []
    for entry in sorted(landing.rglob("*")):
        relative = entry.relative_to(landing)
        if any(is_ignored(part) for part in relative.parts):
            continue
        day = folder_day(relative)
        if up_to_day is not None and day is not None and day > up_to_day:
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

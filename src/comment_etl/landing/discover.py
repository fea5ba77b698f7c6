"""Find the dump files in the landing folder that the warehouse has not seen yet.

A file is identified by the sha256 of its bytes, not its name: a file is loaded once however
often it is copied or renamed, and a corrected re-export (new bytes) is picked up again even
when an earlier version failed. Entries that are not regular files inside the landing folder
(a directory named like a dump, a symlink pointing outside) are returned as ``invalid`` so the
loader records them as failed instead of silently skipping them, and so is a file whose name
is not valid UTF-8 (its name shown with the bad bytes escaped; the other files still load).

A file is only taken once it is stable: its size and modification time unchanged for
``quiet_seconds`` (`COMMENTS_LANDING_QUIET_SECONDS`). A file younger than that is looked at
again after the rest of the quiet period; if it changed meanwhile it is still being written and
is left for the next run. Writers should still stream into a dot-name or ``.part`` file and
rename it when complete (`landing.files`); the quiet period covers those that do not (a plain
`cp` or `scp` into the folder).

Days: dumps may land in dated folders, ``landing/YYYY-MM-DD/...``. A run for day D takes the
folders of D and of earlier days (a late file for yesterday is still picked up; every file loads
once, by sha256) plus every undated file; folders of later days wait for their own run. A run
without a day (a manual trigger without a logical date) takes everything.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
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
    #: The file's modification time (epoch seconds): the newest observation wins in the marts.
    modified_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def printable_name(name: str) -> str:
    """`name` as valid UTF-8: bytes that are not UTF-8 (surrogate escapes) shown as ``\\xNN``."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", errors="backslashreplace")
    return name


def _invalid(landing: Path, entry: Path, reason: str) -> Candidate:
    source_file = printable_name(entry.relative_to(landing).as_posix())
    marker = hashlib.sha256(f"invalid:{source_file}:{reason}".encode()).hexdigest()
    return Candidate(source_file, printable_name(str(entry)), marker, 0, invalid_reason=reason)


def folder_day(relative: Path) -> date | None:
    """The day of a dated landing folder (first path part ``YYYY-MM-DD``), else None."""
    match = _DAY_FOLDER.match(relative.parts[0]) if len(relative.parts) > 1 else None
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:  # 2026-13-45: not a day, an ordinary folder name
        return None


def _stable(files: list[Path], quiet_seconds: float) -> tuple[list[Path], list[Path]]:
    """(stable, still changing): files not modified for `quiet_seconds`, waiting if need be."""
    if quiet_seconds <= 0 or not files:
        return files, []
    first = {path: path.stat() for path in files}
    now = time.time()
    young = [path for path, st in first.items() if now - st.st_mtime < quiet_seconds]
    if not young:
        return files, []
    oldest_young = min(now - first[path].st_mtime for path in young)
    time.sleep(min(quiet_seconds, max(quiet_seconds - oldest_young, 0.0)))
    changing = []
    for path in young:
        st = path.stat()
        if (st.st_size, st.st_mtime_ns) != (first[path].st_size, first[path].st_mtime_ns):
            changing.append(path)
    return [path for path in files if path not in changing], changing


def scan_landing(
    landing_dir: str | Path, quiet_seconds: float = 0.0, up_to_day: date | None = None
) -> list[Candidate]:
    """Every stable dump-like entry below the landing folder, hashed, in a stable order.

    With `up_to_day`, dated folders of later days are left for their own run.
    """
    landing = Path(landing_dir).resolve()
    found: list[Candidate] = []
    regular: list[Path] = []
    for entry in sorted(landing.rglob("*")):
        if any(is_ignored(part) for part in entry.relative_to(landing).parts):
            continue
        day = folder_day(entry.relative_to(landing))
        if up_to_day is not None and day is not None and day > up_to_day:
            continue
        relative = entry.relative_to(landing).as_posix()
        if printable_name(relative) != relative:
            found.append(
                _invalid(
                    landing,
                    entry,
                    "the file name is not valid UTF-8 (shown with the bad bytes escaped); "
                    "rename it to a UTF-8 name and it is loaded by the next run",
                )
            )
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
        regular.append(entry)
    stable, changing = _stable(regular, quiet_seconds)
    for entry in changing:
        log.warning(
            "not taken yet: %r changed during the last %.1f s (still being written?); "
            "it is loaded by a later run once it is stable",
            entry.relative_to(landing).as_posix(),
            quiet_seconds,
        )
    for entry in stable:
        st = entry.stat()
        found.append(
            Candidate(
                source_file=entry.relative_to(landing).as_posix(),
                path=str(entry),
                sha256=sha256_of(entry),
                size_bytes=st.st_size,
                modified_at=st.st_mtime,
            )
        )
    found.sort(key=lambda candidate: candidate.source_file)
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
                "skipping %r: same bytes as %r in this run",
                candidate.source_file,
                seen[candidate.sha256],
            )
            continue
        seen[candidate.sha256] = candidate.source_file
        fresh.append(candidate)
    return fresh

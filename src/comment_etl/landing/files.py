"""The landing folder's naming rules, shared by the scrapers that write into it and discovery.

A writer streams into a dot-prefixed ``.<name>.part`` file and renames it to its final name only
when complete, so discovery never sees half a file. Discovery ignores dot-names and temp-file
suffixes, and identifies a dump by the sha256 of its bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20
#: Names never treated as dumps: temp files of our own downloaders, editors and OSes.
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", "~")
#: comments_sources.yml is the mapping file read beside the dumps (formats/mapping.py).
IGNORED_NAMES = frozenset(
    {".DS_Store", "Thumbs.db", "comments_sources.yml", "comments_sources.yaml"}
)


def is_ignored(name: str) -> bool:
    """True for names discovery skips: dot-names, temp suffixes, OS litter."""
    return name.startswith(".") or name in IGNORED_NAMES or name.endswith(IGNORED_SUFFIXES)


def part_path(final: Path) -> Path:
    """Where a writer streams `final` until it is complete (ignored by discovery)."""
    return final.with_name(f".{final.name}.part")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()

"""The per-source mapping file: how to read dumps whose layout no reader knows.

A YAML file named ``comments_sources.yml`` (or ``.yaml``) in the folder of the dump, or the file
the ``COMMENTS_SOURCES_FILE`` environment variable names, lists sources; the first whose
``match`` glob fits the dump's file name applies::

    sources:
      - match: "crawler_*.jsonl*"      # fnmatch glob on the file name (compression included)
        platform: youtube               # platform of every comment of the file
        content_id_field: url           # a field holding the content id or its URL ...
        # content_id: dQw4w9WgXcQ       # ... or one constant content id for the whole file
        fields:                         # canonical field -> the dump's field (a.b for nesting)
          text: text
          author_name: author
          parent_comment_id: parent_id
          comment_id: null              # null: ignore the dump's ids, derive stable ones
        time_format: relative           # relative | iso | epoch | a strftime format
        scraped_at_field: crawled_at    # base for relative times: a field of each record ...
        # scraped_at: "2026-11-20T08:00:00Z"   # ... or a constant; else the file's mtime

Everything is optional but ``match``; unmapped fields are found by their common names (see
``formats/generic.py``). The file itself is never loaded as a dump (``landing.files``).
A mapping that does not parse, or names unknown keys, fails every dump beside it with a message
naming the mapping file and the key, so a typo never loads data the wrong way.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Any

import orjson
import yaml

from comment_etl.formats.base import FileUnreadable

MAPPING_NAMES = ("comments_sources.yml", "comments_sources.yaml")
ENV_VAR = "COMMENTS_SOURCES_FILE"
#: Hint key carrying the matched source entry (JSON) to the readers.
HINT = "source_mapping"
FIELDS = frozenset(
    {
        "comment_id",
        "text",
        "author_name",
        "author_id",
        "parent_comment_id",
        "is_reply",
        "published_at",
        "updated_at",
        "like_count",
        "reply_count",
        "content_id",
        "url",
        "title",
        "scraped_at",
        "platform",
    }
)
KEYS = frozenset(
    {
        "match",
        "platform",
        "content_id",
        "content_id_field",
        "fields",
        "time_format",
        "scraped_at",
        "scraped_at_field",
        "languages",
    }
)


def mapping_files(dump: str | Path) -> list[Path]:
    """The mapping files that may apply to `dump`: the env var's first, then its folder's."""
    found: list[Path] = []
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        found.append(Path(configured))
    folder = Path(dump).parent
    found += [folder / name for name in MAPPING_NAMES if (folder / name).is_file()]
    return found


def load_sources(path: Path) -> list[dict[str, Any]]:
    """The validated `sources` list of one mapping file (FileUnreadable when it is wrong)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FileUnreadable(f"mapping file {path.name!r} cannot be read: {exc}") from exc
    sources = (document or {}).get("sources") if isinstance(document, dict) else None
    if not isinstance(sources, list):
        raise FileUnreadable(f"mapping file {path.name!r}: expected a top-level 'sources:' list")
    for number, source in enumerate(sources, start=1):
        where = f"mapping file {path.name!r}, source {number}"
        if not isinstance(source, dict) or not isinstance(source.get("match"), str):
            raise FileUnreadable(f"{where}: each source needs a 'match' glob")
        unknown = set(source) - KEYS
        if unknown:
            raise FileUnreadable(
                f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                f"(known: {', '.join(sorted(KEYS))})"
            )
        fields = source.get("fields") or {}
        if not isinstance(fields, dict):
            raise FileUnreadable(f"{where}: 'fields' must map field names to dump fields")
        unknown = set(fields) - FIELDS
        if unknown:
            raise FileUnreadable(
                f"{where}: unknown field(s) {', '.join(sorted(unknown))} "
                f"(known: {', '.join(sorted(FIELDS))})"
            )
        if not all(value is None or isinstance(value, str) for value in fields.values()):
            raise FileUnreadable(f"{where}: a field maps to a dump field name or null")
    return sources


def source_for(dump: str | Path) -> dict[str, Any] | None:
    """The first source entry whose `match` fits the dump's file name, with its mapping file."""
    name = Path(dump).name
    for path in mapping_files(dump):
        if not path.is_file():
            raise FileUnreadable(f"{ENV_VAR} names {str(path)!r}, which is not a file")
        for source in load_sources(path):
            if fnmatch.fnmatch(name, source["match"]):
                return {**source, "mapping_file": path.name}
    return None


def hints_for(dump: str | Path) -> dict[str, str]:
    """Reader hints from the mapping entry of `dump` (empty when none applies)."""
    source = source_for(dump)
    if source is None:
        return {}
    hints = {HINT: orjson.dumps(source).decode()}
    if isinstance(source.get("platform"), str):
        hints["platform"] = source["platform"]
    if source.get("content_id") is not None:
        hints["content_id"] = str(source["content_id"])
    return hints

"""The ordered list of format readers the detector tries (most specific first).

Sniffing looks at the file's content (the extension is only a hint), so the order matters where
shapes overlap:

1. ``youtube_api``: JSON with ``"kind": "youtube#comment..."``, unmistakable;
2. ``ytcd``: JSON objects with a ``"cid"`` key (lines, ``--pretty`` or array);
3. ``reddit``: JSON lines with ``link_id`` / ``subreddit`` / ``body`` + ``author``;
4. ``hackernews``: JSON items with ``"type": "comment"|"story"|...`` or ``{story, comments}``;
5. ``generic``: JSON records with a common text field, a CSV with a text column but no id
   column, or any file a mapping file (``comments_sources.yml``) applies to - after the specific
   readers, which know their formats better;
6. ``csv_export``: a header row of known column names (or a ``.csv`` name) - after every JSON
   format, since a JSON line is never a CSV header;
7. ``page_text``: free text, last, because almost anything could be a title line.
"""

from __future__ import annotations

from comment_etl.formats import (
    csv_export,
    generic,
    hackernews,
    page_text,
    reddit,
    youtube_api,
    ytcd,
)
from comment_etl.formats.base import FormatReader

#: Sniffed in this order; the first match wins. Free-text formats go last.
FORMATS: list[FormatReader] = [
    youtube_api,
    ytcd,
    reddit,
    hackernews,
    generic,
    csv_export,
    page_text,
]


def by_name(name: str) -> FormatReader:
    for module in FORMATS:
        if name == module.NAME:
            return module
    raise KeyError(name)

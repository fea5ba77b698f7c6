"""Vectorized text normalization over Arrow arrays.

Applied to whole batches (tens of thousands of comments) with pyarrow compute kernels, so the
cost per comment is a few C loops, not Python code:

* Unicode NFC, so "ü" typed two ways compares equal;
* user text is kept as written: zero-width joiners and non-joiners (emoji sequences such as
  👨‍👩‍👧 and 🏳️‍🌈, Persian می‌خواهم, Indic conjuncts), soft hyphens, zero-width spaces (word
  separators in Thai) and bidi marks stay where they are inside the text. Only what is truly
  noise goes: a byte order mark (U+FEFF) anywhere, and invisible characters at the very start or
  end of a text, where they join or separate nothing;
* CRLF/CR become LF, runs of spaces and tabs become one space, spaces around line breaks go,
  three or more line breaks become one blank line: paragraph breaks are kept, layout noise is not;
* leading/trailing whitespace is trimmed and an empty result becomes NULL.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

#: Removed wherever it appears: a byte order mark is never part of what someone wrote.
NOISE = "\ufeff"
#: Invisible characters removed only at the start or end of a text (with the whitespace there).
EDGE_INVISIBLE = "[\\s\u00a0\u00ad\u1680\u2000-\u200f\u2028\u2029\u202f\u205f\u2060\u3000]"
_EDGES = f"^{EDGE_INVISIBLE}+|{EDGE_INVISIBLE}+$"


def _strip_noise(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    out = pc.utf8_normalize(values, form="NFC")
    return pc.replace_substring(out, pattern=NOISE, replacement="")


def normalize_text(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Return the normalized strings (NULL stays NULL, empty becomes NULL)."""
    out = _strip_noise(values)
    out = pc.replace_substring_regex(out, pattern=r"\r\n?", replacement="\n")
    out = pc.replace_substring_regex(out, pattern="[ \t\f\v\u00a0]+", replacement=" ")
    out = pc.replace_substring_regex(out, pattern=r" ?\n ?", replacement="\n")
    out = pc.replace_substring_regex(out, pattern=r"\n{3,}", replacement="\n\n")
    out = pc.replace_substring_regex(out, pattern=_EDGES, replacement="")
    return pc.if_else(pc.equal(out, ""), pa.scalar(None, pa.string()), out)


def normalize_label(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Short single-line fields (titles, names): NFC, noise out, one line."""
    out = _strip_noise(values)
    out = pc.replace_substring_regex(out, pattern=r"\s+", replacement=" ")
    out = pc.replace_substring_regex(out, pattern=_EDGES, replacement="")
    return pc.if_else(pc.equal(out, ""), pa.scalar(None, pa.string()), out)

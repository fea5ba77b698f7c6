"""The benchmark's texts: labelled Tatoeba sentences, fragments cut from them, the fixture page.

See data/README.md for where the sentences come from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = HERE / "data" / "raw"
REPO = HERE.parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "perseverance_landing_page.txt"

#: Tatoeba's ISO 639-3 codes -> the ISO 639-1 codes our detectors answer with.
ISO639_3_TO_1 = {"deu": "de", "eng": "en", "spa": "es", "por": "pt", "fra": "fr", "ind": "id"}
LANGUAGES = ("en", "de", "es", "pt", "fr", "id")
_WORD = re.compile(r"[^\W\d_]", re.UNICODE)
_COMMENT_START = re.compile(r"^\s{2}(\d+)\.\s+", re.M)


@dataclass(frozen=True, slots=True)
class Sample:
    language: str
    text: str


def sentences() -> list[Sample]:
    """Every labelled sentence once, in file order (both sides of deu-eng, one side elsewhere)."""
    seen: set[tuple[str, str]] = set()
    out: list[Sample] = []
    for path in sorted(RAW.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            cells = line.split("\t")
            pairs = [(cells[0], cells[2]), (cells[1], cells[3])] if len(cells) == 4 else [cells]
            for code, text in pairs:
                sample = Sample(ISO639_3_TO_1[code], text.strip())
                if sample.text and (sample.language, sample.text) not in seen:
                    seen.add((sample.language, sample.text))
                    out.append(sample)
    return out


def fragments(samples: list[Sample]) -> list[Sample]:
    """One 1-3 word fragment per sentence, cut deterministically.

    Sentence i gives a fragment of 1 + i % 3 words starting at word (7 * i) mod (room); words are
    whitespace tokens with at least one letter. Fragments with fewer than 2 letters are dropped.
    """
    out = []
    for i, sample in enumerate(samples):
        words = [w for w in sample.text.split() if _WORD.search(w)]
        if not words:
            continue
        size = min(1 + i % 3, len(words))
        start = (7 * i) % (len(words) - size + 1)
        text = " ".join(words[start : start + size])
        if len(_WORD.findall(text)) >= 2:
            out.append(Sample(sample.language, text))
    return out


def fixture_comments() -> list[str]:
    """The 12 comments of the Perseverance landing page fixture, in page order."""
    page = FIXTURE.read_text(encoding="utf-8")
    starts = list(_COMMENT_START.finditer(page))
    comments = []
    for here, after in zip(starts, [*starts[1:], None], strict=True):
        end = after.start() if after else len(page)
        comments.append(" ".join(page[here.end() : end].split()))
    return comments

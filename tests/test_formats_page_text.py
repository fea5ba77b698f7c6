"""The scraped-page reader on the real seed page, raw and after parse + normalization."""

from __future__ import annotations

import hashlib

import pyarrow.parquet as pq
import pytest

from comment_etl.formats import page_text
from comment_etl.formats.base import detect_format, open_decompressed
from comment_etl.formats.registry import FORMATS
from comment_etl.parse.parse_file import parse_file
from comment_etl.records import Comment, Content, Reject, SourceFile
from tests.conftest import SEED_PAGE

TITLE = "Perseverance Rover’s Descent and Touchdown on Mars (Official NASA Video)"


def read(path=SEED_PAGE, hints=None):
    source = SourceFile(str(path), path.name, hints or {})
    module = detect_format(path, source, FORMATS)
    with open_decompressed(path) as stream:
        return module, list(module.read(stream, source))


def test_seed_page_is_detected_and_read_in_order():
    module, records = read()
    assert module is page_text
    contents = [r for r in records if isinstance(r, Content)]
    comments = [r for r in records if isinstance(r, Comment)]
    assert [r for r in records if isinstance(r, Reject)] == []
    assert len(contents) == 1
    assert contents[0].title == TITLE
    assert contents[0].description.startswith("NASA’s Mars 2020 Perseverance mission captured")
    assert contents[0].description.endswith("Credit: NASA/JPL-Caltech")
    assert [c.position for c in comments] == list(range(1, 13))
    assert [c.comment_id for c in comments] == [
        f"{contents[0].content_id}:{n}" for n in range(1, 13)
    ]
    # Unknown values stay unknown.
    assert {(c.published_at, c.author_name, c.like_count) for c in comments} == {(None,) * 3}


def test_comment_six_keeps_three_paragraphs_and_ten_keeps_its_timestamp():
    _, records = read()
    comments = [r for r in records if isinstance(r, Comment)]
    paragraphs = comments[5].text.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[1].startswith("Now that leaves me with a question")
    assert paragraphs[2].endswith("that I will say.")
    assert comments[9].text.startswith('3:13 "ready to begin seeking the signs of past life"')


def test_content_id_is_stable_and_prefers_the_url():
    _, first = read()
    _, again = read()
    _, with_url = read(hints={"url": "https://www.nasa.gov/perseverance-landing"})
    assert first[0].content_id == again[0].content_id
    assert with_url[0].content_id != first[0].content_id
    assert with_url[0].url == "https://www.nasa.gov/perseverance-landing"


@pytest.fixture
def parsed(tmp_path):
    data = SEED_PAGE.read_bytes()
    manifest = parse_file(
        SEED_PAGE,
        SEED_PAGE.name,
        hashlib.sha256(data).hexdigest(),
        len(data),
        tmp_path / "out",
        detector="langdetect",
    )
    return manifest, pq.read_table(manifest.files["comments"]).to_pylist()


def test_parse_keeps_emoji_umlauts_and_paragraphs_after_normalization(parsed):
    manifest, rows = parsed
    assert (manifest.status, manifest.format, manifest.comments, manifest.rejects) == (
        "parsed",
        "page_text",
        12,
        0,
    )
    texts = [row["text"] for row in rows]
    assert "Für Nichts und wieder Nichts" in texts[0]
    assert "Fußballweltmeisterschaft" in texts[0]
    assert texts[4].endswith("\U0001f642")  # 🙂
    assert texts[11].endswith("Earth🤩😍🎉🎉")
    assert texts[5].count("\n\n") == 2
    assert "3:13" in texts[9]


def test_parse_labels_one_german_and_eleven_english(parsed):
    _, rows = parsed
    languages = [row["language"] for row in rows]
    assert languages[0] == "de"
    assert languages[1:] == ["en"] * 11
    assert {row["language_detector"] for row in rows} == {"langdetect"}

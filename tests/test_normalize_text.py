"""Vectorized text normalization (Arrow) keeps meaning and drops layout noise."""

from __future__ import annotations

import pyarrow as pa

from comment_etl.normalize.text import normalize_label, normalize_text


def test_nfc_noise_and_whitespace():
    raw = [
        "\ufeff\u200bHe\ufeffllo  \t world \r\n\r\n\r\n\r\nnext  para \u200b",
        "Mu\u0308ller",  # u + combining diaeresis
        "soft\u00adhyphen and\u00a0nbsp",
        "line one\nline two",
    ]
    assert normalize_text(pa.array(raw)).to_pylist() == [
        "Hello world\n\nnext para",
        "Müller",
        "soft\u00adhyphen and nbsp",  # a soft hyphen is part of the word as written
        "line one\nline two",
    ]


def test_joiners_inside_emoji_and_words_are_kept():
    kept = [
        "👨\u200d👩\u200d👧",  # family: one emoji, not three
        "🏳\ufe0f\u200d🌈",  # rainbow flag
        "می\u200cخواهم",  # Persian "I want": the non-joiner is spelling
        "क्\u200dष",  # Devanagari half form
    ]
    assert normalize_text(pa.array(kept)).to_pylist() == kept
    assert normalize_label(pa.array(kept)).to_pylist() == kept


def test_empty_and_null_become_null():
    assert normalize_text(pa.array(["", "   \n ", None], pa.string())).to_pylist() == [None] * 3


def test_labels_are_single_line():
    assert normalize_label(pa.array(["  Some\n Title\u200d ", None])).to_pylist() == [
        "Some Title",
        None,
    ]


def test_emoji_and_non_latin_scripts_survive():
    text = "Earth🤩😍 Привет 你好 مرحبا"
    assert normalize_text(pa.array([text])).to_pylist() == [text]

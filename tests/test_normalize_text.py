"""Vectorized text normalization (Arrow) keeps meaning and drops layout noise."""

from __future__ import annotations

import pyarrow as pa

from comment_etl.normalize.text import normalize_label, normalize_text


def test_nfc_invisible_characters_and_whitespace():
    raw = [
        "\ufeffHe\u200bllo  \t world \r\n\r\n\r\n\r\nnext  para ",
        "Mu\u0308ller",  # u + combining diaeresis
        "soft\u00adhyphen and\u00a0nbsp",
        "line one\nline two",
    ]
    assert normalize_text(pa.array(raw)).to_pylist() == [
        "Hello world\n\nnext para",
        "Müller",
        "softhyphen and nbsp",
        "line one\nline two",
    ]


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

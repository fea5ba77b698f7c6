"""Language labels are computed once per (detector, cleaned text), across batches and runs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from comment_etl.normalize.language import Guess, clean_for_detection
from comment_etl.normalize.language_cache import CachedLabeler, text_hash
from comment_etl.warehouse.schema import ensure_schema


class CountingDetector:
    name = "counting"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def detect_batch(self, texts: Sequence[str | None], cleaned: bool = False) -> list[Guess]:
        assert cleaned, "the labeler passes cleaned texts"
        self.seen.extend(t or "" for t in texts)
        return [Guess("en", 0.9) for _ in texts]


def test_repeated_texts_are_detected_once():
    detector = CountingDetector()
    labeler = CachedLabeler(detector)
    texts = ["first!", "first", "First!!", "lol 😂", "a real sentence here", "😂😂", None]
    guesses = labeler.label(texts)
    # "first!" and "first" clean to the same text; emoji-only and None are `und` unasked.
    assert sorted(detector.seen) == ["First", "a real sentence here", "first", "lol"]
    assert guesses[5] == guesses[6] == Guess("und", 0.0)
    assert guesses[0] == guesses[1] == Guess("en", 0.9)
    assert labeler.computed == 4
    labeler.label(["first!", "a real sentence here"])  # a later batch: all cached
    assert len(detector.seen) == 4


def test_memo_eviction_never_loses_an_answer_of_the_current_batch(monkeypatch, tmp_path):
    import comment_etl.normalize.language_cache as module

    monkeypatch.setattr(module, "MEMO_SIZE", 2)
    detector = CountingDetector()
    out = tmp_path / "new.parquet"
    labeler = CachedLabeler(detector, None, out)
    labeler.label(["alpha words", "beta words"])
    # "alpha words" is in the memo; three new texts in the same batch evict it.
    guesses = labeler.label(["alpha words", "gamma words", "delta words", "epsilon words"])
    labeler.close()
    assert guesses == [Guess("en", 0.9)] * 4
    assert detector.seen.count("alpha words") == 1
    assert pq.read_table(out).num_rows == 5  # every new label written once, in batches


def test_labels_come_from_the_snapshot_cache(tmp_path):
    snapshot = tmp_path / "bi.duckdb"
    con = duckdb.connect(str(snapshot))
    ensure_schema(con)
    key = text_hash(clean_for_detection("Wie viel hat das gekostet?"))
    con.execute(
        "insert into staging.language_cache values ('counting', ?, 'de', 0.97, 'run1')", [key]
    )
    con.close()

    detector = CountingDetector()
    out = tmp_path / "new.parquet"
    labeler = CachedLabeler(detector, snapshot, out)
    guesses = labeler.label(["Wie viel hat das gekostet?", "Something new"])
    labeler.close()
    assert guesses == [Guess("de", 0.97), Guess("en", 0.9)]
    assert detector.seen == ["Something new"]
    assert pq.read_table(out).to_pylist() == [
        {
            "detector": "counting",
            "text_hash": text_hash("Something new"),
            "language": "en",
            "confidence": 0.9,
        }
    ]


def test_other_detectors_entries_are_not_used(tmp_path):
    snapshot = tmp_path / "bi.duckdb"
    con = duckdb.connect(str(snapshot))
    ensure_schema(con)
    key = text_hash(clean_for_detection("Bonjour tout le monde"))
    con.execute("insert into staging.language_cache values ('other', ?, 'fr', 0.9, 'r')", [key])
    con.close()
    detector = CountingDetector()
    labeler = CachedLabeler(detector, snapshot)
    assert labeler.label(["Bonjour tout le monde"]) == [Guess("en", 0.9)]
    labeler.close()
    assert detector.seen == ["Bonjour tout le monde"]


def test_cleaned_texts_get_the_same_labels_as_raw_ones():
    from comment_etl.normalize.language import build_detector

    detector = build_detector("fasttext")
    raw = [
        "Check this at 3:13 https://x.y/z 😂 — the landing was amazing!",
        "@someone Wie viel hat das alles gekostet? #mars",
        "😂😂😂",
    ]
    cleaned = [clean_for_detection(t) for t in raw]
    assert detector.detect_batch(cleaned, cleaned=True) == detector.detect_batch(raw)
    assert [g.language for g in detector.detect_batch(raw)] == ["en", "de", "und"]


def test_a_text_in_flight_is_not_detected_twice(tmp_path):
    """Batch 2 is submitted while batch 1 is still being detected: a text both share is asked
    once, written to the new-labels file once, and both batches get its answer."""
    from comment_etl.normalize.language import build_detector

    detector = build_detector("fasttext", workers=2, parallel_min_batch=2)
    out = tmp_path / "new.parquet"
    labeler = CachedLabeler(detector, None, out)
    try:
        first = labeler.submit(["Guten Morgen zusammen, wie geht es euch", "hello there my friend"])
        second = labeler.submit(["hello there my friend", "Bonjour à tous les amis"])
        assert second.result()[0] == ["en", "fr"]
        assert first.result()[0] == ["de", "en"]
    finally:
        labeler.close()
        detector.close()
    assert labeler.computed == 3
    assert sorted(pq.read_table(out)["language"].to_pylist()) == ["de", "en", "fr"]


def test_parse_stops_the_language_workers_when_it_ends(tmp_path, monkeypatch):
    from comment_etl.normalize import language
    from comment_etl.parse.parse_file import parse_file

    fixture = tmp_path / "RC_2025-01_sample.ndjson"
    source = Path(__file__).parent / "fixtures" / "formats" / "reddit"
    fixture.write_bytes((source / "RC_2025-01_sample.ndjson").read_bytes())
    detector = language.build_detector("fasttext", workers=2, parallel_min_batch=2)
    started = []
    real = detector._submit_parallel

    def spy(work):
        started.append(len(work))
        return real(work)

    monkeypatch.setattr(detector, "_submit_parallel", spy)
    monkeypatch.setattr(language, "get_detector", lambda name, workers=None: detector)
    monkeypatch.setattr("comment_etl.parse.parse_file.get_detector", language.get_detector)
    manifest = parse_file(
        fixture, fixture.name, "0" * 64, 1, tmp_path / "out", batch_rows=3, detector="fasttext"
    )
    assert manifest.status == "parsed", manifest.error
    assert started, "the batches went to the worker processes"
    assert detector._executor is None  # stopped at the end of the parse
    languages = pq.read_table(tmp_path / "out" / "comments.parquet")["language"].to_pylist()
    in_process = language.build_detector("fasttext").detect_arrays(
        pq.read_table(tmp_path / "out" / "comments.parquet")["text"].to_pylist()
    )[0]
    assert languages == in_process

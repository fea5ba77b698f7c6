"""Hostile sizes: one enormous record, a decompression bomb, a huge document. Each is refused
with a reason while the good records load, and memory stays bounded by the limits."""

from __future__ import annotations

import gzip
import tracemalloc

from comment_etl.formats import base
from comment_etl.formats.jsonio import decode_line, iter_json_lines
from comment_etl.records import Reject
from tests.conftest import SEED_PAGE
from tests.reliability.helpers import (
    counts,
    ledger,
    make_settings,
    query,
    reddit_line,
    run_steps,
)

BIG = 50 * 1024**2  # stands for the 1 GB line: same code path, a quick test
LIMIT = 1024**2
PREFIX = b'{"id": "big", "link_id": "t3_p", "author": "x", "body": "'


def huge_line_dump(path):
    big = PREFIX + b"a" * BIG + b'"}'
    data = reddit_line("c1", "before") + b"\n" + big + b"\n" + reddit_line("c3", "after") + b"\n"
    path.write_bytes(gzip.compress(data, compresslevel=1))
    return path


def test_a_record_over_the_size_limit_is_rejected_and_the_rest_loads(tmp_path):
    settings = make_settings(tmp_path, max_record_bytes=LIMIT)
    huge_line_dump(settings.landing_dir / "RC_huge.ndjson.gz")

    summary = run_steps(settings, "run1")

    assert (summary["files_loaded"], summary["comments"], summary["rejects"]) == (1, 2, 1)
    ((number, reason),) = query(
        settings.warehouse, "select record_number, reason from staging.rejects"
    )
    assert number == 2
    assert reason.startswith(
        f"record too large: {len(PREFIX) + BIG + 2} bytes, over the limit of {LIMIT}"
    )
    assert counts(settings.warehouse) == {
        "comments": 2,
        "contents": 1,
        "rejects": 1,
        "load_ledger": 1,
    }


def test_memory_stays_bounded_by_the_record_limit(tmp_path):
    path = huge_line_dump(tmp_path / "RC_huge.ndjson.gz")
    tracemalloc.start()
    try:
        with base.open_decompressed(path) as stream:
            values = list(iter_json_lines_with_limit(stream))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [type(v).__name__ for _, v in values] == ["dict", "Reject", "dict"]
    assert peak < 8 * LIMIT, f"peak {peak} bytes for a {BIG} byte line"  # not the line's size


def iter_json_lines_with_limit(stream):
    token = base.MAX_RECORD_BYTES.set(LIMIT)
    try:
        yield from iter_json_lines(stream)
    finally:
        base.MAX_RECORD_BYTES.reset(token)


def test_a_decompression_bomb_fails_the_file_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "RATIO_GUARD_AFTER_BYTES", LIMIT)  # look early: a quick test
    settings = make_settings(tmp_path, max_decompression_ratio=50.0)
    line = reddit_line("same", "the same comment again " * 5) + b"\n"
    (settings.landing_dir / "bomb.ndjson.gz").write_bytes(gzip.compress(line * 200_000))
    good = b"".join(reddit_line(f"g{i}", f"comment {i}") + b"\n" for i in range(300))
    (settings.landing_dir / "good.ndjson.gz").write_bytes(gzip.compress(good))

    summary = run_steps(settings, "run1")

    assert (summary["files_loaded"], summary["files_failed"], summary["comments"]) == (1, 1, 300)
    status, error = ledger(settings.warehouse)["bomb.ndjson.gz"]
    assert status == "failed"
    assert error.startswith("DecompressionBomb: decompression ratio above 50:1")
    assert counts(settings.warehouse)["comments"] == 300


def test_a_document_over_the_size_limit_fails_with_the_setting_named(tmp_path):
    settings = make_settings(tmp_path, max_document_bytes=1000)
    (settings.landing_dir / SEED_PAGE.name).write_bytes(SEED_PAGE.read_bytes())

    summary = run_steps(settings, "run1")

    assert (summary["files_failed"], summary["comments"]) == (1, 0)
    status, error = ledger(settings.warehouse)[SEED_PAGE.name]
    assert status == "failed" and "COMMENTS_MAX_DOCUMENT_BYTES" in error


def test_oversized_lines_are_rejects_for_the_line_readers():
    line = base.OversizedLine(b'{"id": "x"', 5000, 1000)
    assert isinstance(line, bytes) and line.size == 5000
    reject = decode_line(7, line)
    assert isinstance(reject, Reject) and reject.record_number == 7
    assert reject.raw_excerpt == '{"id": "x"'

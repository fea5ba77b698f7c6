"""Hostile sizes: one enormous record, a decompression bomb, a huge document. Each is refused
with a reason while the good records load, and memory stays bounded by the limits."""

from __future__ import annotations

import gzip
import tracemalloc

import pytest

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


# ---------------------------------------------------------------- CSV rows over the limit

CSV_HEADER = b"comment_id,author,text\r\n"


def huge_csv_dump(path, with_ids: bool = True):
    """A good row, one enormous line, a quoted field spanning many short lines (each under the
    limit, together over it), a good row. Returns (file bytes, the two big rows' sizes)."""
    header = CSV_HEADER if with_ids else b"author,text\r\n"

    def row(cid: str, rest: bytes) -> bytes:
        return (cid.encode() + b"," if with_ids else b"") + rest + b"\r\n"

    one_line = row("big", b'x,"' + b"a" * BIG + b'"')
    many_lines = row("tall", b'y,"' + b"line, with a comma\n" * (2 * LIMIT // 19) + b'end"')
    data = (
        header
        + row("c1", b"ann,before")
        + one_line
        + many_lines
        + row("c4", b'bob,"after, quoted"')
    )
    path.write_bytes(gzip.compress(data, compresslevel=1))
    return len(one_line), len(many_lines), many_lines.count(b"\n")


@pytest.mark.parametrize(("with_ids", "reader"), [(True, "csv_export"), (False, "generic")])
def test_a_csv_row_over_the_size_limit_is_rejected_and_the_rest_loads(tmp_path, with_ids, reader):
    settings = make_settings(tmp_path, max_record_bytes=LIMIT)
    one_line, many_lines, tall_lines = huge_csv_dump(
        settings.landing_dir / "export.csv.gz", with_ids
    )

    summary = run_steps(settings, "run1")

    assert (summary["files_loaded"], summary["comments"], summary["rejects"]) == (1, 2, 2)
    assert query(settings.warehouse, "select format from staging.load_ledger") == [(reader,)]
    rejects = query(
        settings.warehouse,
        "select source_file, record_number, reason from staging.rejects order by record_number",
    )
    assert rejects == [
        ("export.csv.gz", 3, f"record too large: {one_line} bytes, over the limit of {LIMIT} "
         "bytes (COMMENTS_MAX_RECORD_BYTES); not loaded"),
        ("export.csv.gz", 4, f"record too large: {many_lines} bytes, over the limit of {LIMIT} "
         "bytes (COMMENTS_MAX_RECORD_BYTES); not loaded"),
    ]  # fmt: skip
    # the rows after the big ones are read where they start: the csv state was kept
    texts = query(settings.warehouse, "select record_number, text from staging.comments order by 1")
    assert texts == [(2, "before"), (4 + tall_lines, "after, quoted")]


def test_csv_memory_stays_bounded_by_the_record_limit(tmp_path):
    from comment_etl.formats import csv_export
    from comment_etl.records import SourceFile

    path = tmp_path / "export.csv.gz"
    huge_csv_dump(path)
    source = SourceFile(path=str(path), name=path.name)
    token = base.MAX_RECORD_BYTES.set(LIMIT)
    tracemalloc.start()
    try:
        with base.open_decompressed(path) as stream:
            kinds = [type(r).__name__ for r in csv_export.read(stream, source)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        base.MAX_RECORD_BYTES.reset(token)
    assert kinds == ["Content", "Comment", "Reject", "Reject", "Comment"]
    # The csv module holds a field as 4-byte characters (up to the limit, with its buffer's
    # growth): a bound on the limit, not the row, which alone would take 4 x 50 MB.
    assert peak < 16 * LIMIT, f"peak {peak} bytes for a {BIG} byte row"


def test_a_csv_header_over_the_size_limit_fails_the_file(tmp_path):
    settings = make_settings(tmp_path, max_record_bytes=1000)
    header = b",".join([b"comment_id", b"text"] + [b"c%d" % i for i in range(300)])
    (settings.landing_dir / "wide.csv").write_bytes(header + b"\r\n1,hello\r\n")

    summary = run_steps(settings, "run1")

    assert (summary["files_failed"], summary["comments"]) == (1, 0)
    status, error = ledger(settings.warehouse)["wide.csv"]
    assert status == "failed"
    assert error == (
        f"FileUnreadable: CSV header: record too large: {len(header) + 2} bytes, over the "
        "limit of 1000 bytes (COMMENTS_MAX_RECORD_BYTES); not loaded"
    )


def test_a_count_beyond_64_bits_is_a_reject_not_an_environmental_error(tmp_path):
    """A score of 10**20 cannot be stored as BIGINT: that record is rejected with its line and
    the reason, the others load and the run stays green (it used to raise OverflowError while
    writing the batch, which failed the task as environmental and retried it forever)."""
    settings = make_settings(tmp_path)
    path = settings.landing_dir / "RC_2025-01.ndjson"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        reddit_line("ok1", "a normal comment"),
        reddit_line("huge", "a comment with an impossible score", score=10**20),
        reddit_line("ok2", "another normal comment"),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    summary = run_steps(settings, "run1")
    assert (summary["files_loaded"], summary["comments"], summary["rejects"]) == (1, 2, 1)
    ((record_number, reason),) = query(
        settings.warehouse, "select record_number, reason from staging.rejects"
    )
    assert record_number == 2
    assert "64-bit" in reason and "score" in reason

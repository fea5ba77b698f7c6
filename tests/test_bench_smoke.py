"""The parsing benchmark's correctness, not its timing: its generators write what they say they
wrote, and our parser finds exactly that (comments, rejects with their line numbers, contents).

Tiny sizes (200 records, an invalid one every 25) so every kind of invalid record appears.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import zstandard

from comment_etl.parse.parse_file import parse_file
from tests.conftest import load_script

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench" / "parse"


generate = load_script("bench_parse_generate", BENCH / "generate.py")

ROWS = 200
INVALID_EVERY = 25
KINDS = {
    "reddit": generate.REDDIT_INVALID,
    "csv": generate.CSV_INVALID,
    "ytcd": generate.YTCD_INVALID,
}
SUFFIX = {"reddit": ".ndjson.zst", "csv": ".csv", "ytcd": ".jsonl"}


def _generate(kind: str, folder: Path, name: str = "dump", **extra: object) -> tuple[Path, object]:
    path = folder / f"{name}{SUFFIX[kind]}"
    kwargs: dict[str, object] = {"rows": ROWS, "target_bytes": None, "invalid_every": INVALID_EVERY}
    kwargs |= extra
    if kind == "reddit":
        kwargs["blank_every"] = 50  # a few blank lines: skipped, so line numbers must still hold
    return path, generate.GENERATORS[kind](path, **kwargs)


@pytest.mark.parametrize("kind", ["reddit", "csv", "ytcd"])
def test_parse_finds_what_the_generator_wrote(kind: str, tmp_path: Path) -> None:
    path, expected = _generate(kind, tmp_path)
    assert expected.comments + expected.rejects == ROWS
    assert set(expected.reject_kinds) == set(KINDS[kind])  # every kind of invalid record
    assert json.loads(Path(f"{path}.meta.json").read_text())["comments"] == expected.comments

    out = tmp_path / "out"
    manifest = parse_file(
        path, path.name, "0" * 64, path.stat().st_size, out, batch_rows=64, detector="fasttext"
    )

    assert manifest.status == "parsed", manifest.error
    comments = pq.read_table(out / "comments.parquet")
    rejects = pq.read_table(out / "rejects.parquet")
    contents = pq.read_table(out / "contents.parquet")
    assert (manifest.comments, manifest.rejects) == (expected.comments, expected.rejects)
    assert comments.num_rows == expected.comments
    assert rejects.num_rows == expected.rejects
    assert sorted(rejects["record_number"].to_pylist()) == expected.reject_lines
    assert contents.num_rows == expected.contents
    assert (pc.sum(comments["is_deleted"]).as_py() or 0) == expected.deleted
    assert comments["language"].null_count == 0


@pytest.mark.parametrize("kind", ["reddit", "csv", "ytcd"])
def test_generators_are_deterministic_and_sized(kind: str, tmp_path: Path) -> None:
    first, expected = _generate(kind, tmp_path, "first")
    second, _ = _generate(kind, tmp_path, "second")
    assert first.read_bytes() == second.read_bytes()
    data = first.read_bytes()
    if kind == "reddit":
        reader = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(data)
        data = reader.read()
    assert len(data) == expected.uncompressed_bytes
    assert data.count(b"\n") == expected.lines

    sized = generate.GENERATORS[kind](tmp_path / f"sized{SUFFIX[kind]}", target_bytes=100_000)
    assert 100_000 <= sized.uncompressed_bytes < 100_000 + 20_000  # stops at the first row past


@pytest.mark.parametrize("kind", ["reddit", "ytcd"])
def test_later_dumps_continue_or_overlap_the_first(kind: str, tmp_path: Path) -> None:
    """``first`` numbers records on: the next day shares no comment, an overlap shares some."""

    def ids(name: str, first: int) -> set[str]:
        path, _ = _generate(kind, tmp_path, name, first=first)
        out = tmp_path / f"out_{name}"
        manifest = parse_file(path, path.name, "0" * 64, 1, out, detector="fasttext")
        assert manifest.status == "parsed", manifest.error
        return set(pq.read_table(out / "comments.parquet")["comment_id"].to_pylist())

    day1, day2, overlap = ids("day1", 0), ids("day2", ROWS), ids("overlap", ROWS // 2)
    assert not day1 & day2
    assert len(day1 & overlap) >= ROWS // 2 - ROWS // INVALID_EVERY
    assert overlap <= day1 | day2


def test_alternatives_run_on_the_generated_files(tmp_path: Path) -> None:
    """The DuckDB and pandas contenders still work with the locked versions (dlt is slow to
    import: the benchmark itself covers it)."""
    run = load_script("bench_parse_run", BENCH / "run.py")
    reddit, reddit_expected = _generate("reddit", tmp_path)
    csv_path, csv_expected = _generate("csv", tmp_path)

    typed = run.run_duckdb_json(reddit, tmp_path / "duckdb_json")
    # Invalid lines come out as rows of NULLs: nothing says which or why.
    assert typed["rows"] == reddit_expected.comments + reddit_expected.rejects
    assert typed["null_id_rows"] >= 1
    assert run.run_duckdb_csv(csv_path, tmp_path / "duckdb_csv")["rows"] >= csv_expected.comments
    stored = run.run_duckdb_csv_rejects(csv_path, tmp_path / "duckdb_rejects")
    # DuckDB numbers rows (header = 1; a quoted newline does not count), ours physical lines.
    broken = {record + 1 for record in csv_expected.reject_records}
    assert set(stored["reject_lines"]) <= broken
    assert stored["rejects"] == sum(
        csv_expected.reject_kinds[kind] for kind in ("extra_field", "invalid_utf8")
    )
    assert run.run_pandas_csv(csv_path, tmp_path / "pandas")["rows"] >= csv_expected.comments


def test_pipeline_bench_keeps_other_sizes_and_notes_when_it_writes_results() -> None:
    """bench/pipeline/run.py rewrites only what it measured: the main table when it ran those
    contenders, and its own size's block of the lake section (others and hand notes kept)."""
    run = load_script("bench_pipeline_run", REPO / "bench" / "pipeline" / "run.py")
    small = run.splice_results("# main v1\n", None, "### 100 rows\nfirst\n", 100)
    assert small.startswith("# main v1\n") and "first" in small
    both = run.splice_results(small + "\nNotes by hand.\n", None, "### 1,000 rows\n", 1000)
    again = run.splice_results(both, "# main v2\n", "### 100 rows\nsecond\n", 100)
    assert again.startswith("# main v2\n") and "# main v1" not in again
    assert "second" in again and "first" not in again
    assert again.index("### 100 rows") < again.index("### 1,000 rows") < again.index("Notes by")
    assert again.count(run.LAKE_HEADING) == 1
    assert run.splice_results(again, None, None, 100) == again


def test_themes_bench_rewrites_only_its_cost_section() -> None:
    """`bench/themes/run.py --only speed` replaces the cost section of RESULTS.md and keeps every
    table before it; the section reports each build's CPU and memory, not wall time alone."""
    sys.path.insert(0, str(REPO / "bench" / "themes"))
    sys.path.insert(0, str(REPO / "bench"))
    themes = load_script("bench_themes_run", REPO / "bench" / "themes" / "run.py")
    from _harness import ProcessRun

    def build(wall: float, cpu: float) -> ProcessRun:
        return ProcessRun(
            wall=wall, cpu=cpu, max_rss_mb=900, tree_rss_mb=950, others=0.1, returncode=0
        )

    section = themes.speed_section(
        [
            ("rules only", build(52, 75)),
            ("rules + classifier", build(45, 68)),
            ("rules only", build(40, 60)),
            ("rules + classifier", build(47, 70)),
        ]
    )
    text = "\n".join(section)
    assert "| rules + classifier | ok | 45.0 | 68.0 | 22,222 | 900 | 0.1 |" in text
    assert "+5.0 s wall, +8.0 CPU s" in text  # the fastest build of each variant counts
    old = (
        "# Spam\n\n## Leave one video out\n\n| a |\n\n" + themes.SPEED_HEADING + "\n\nold numbers\n"
    )
    spliced = themes.splice_speed(old, section)
    assert spliced.startswith(
        "# Spam\n\n## Leave one video out\n\n| a |\n\n" + themes.SPEED_HEADING
    )
    assert "old numbers" not in spliced
    assert spliced.count(themes.SPEED_HEADING) == 1
    assert themes.splice_speed(spliced, section) == spliced


#: A child that uses half a CPU second, then waits for stdin to close.
BURN = (
    "import sys, time\n"
    "t = time.process_time()\n"
    "while time.process_time() - t < 0.5:\n"
    "    pass\n"
    "sys.stdin.read()\n"
)


def test_harness_measures_a_step_and_a_server() -> None:
    """`measure_step` counts a waited-for child's CPU and the step's memory; `server_cpu_seconds`
    a process that is not ours to wait for, with the CPU of its children that have exited."""
    sys.path.insert(0, str(REPO / "bench"))
    from _harness import measure_step, server_cpu_seconds

    with measure_step() as step:
        block = b"x" * (200 * 1024 * 1024)  # written, so really resident
        subprocess.run([sys.executable, "-c", BURN], input=b"", check=True)
    assert step.cpu >= 0.45
    assert step.tree_rss_mb >= 200
    assert step.wall >= 0.5
    del block

    parent = (
        "import subprocess, sys\nsubprocess.run([sys.executable, '-c', sys.argv[1]], input=b'')\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", parent + "sys.stdin.read()\n", BURN], stdin=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while server_cpu_seconds(server.pid) < 0.45 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server_cpu_seconds(server.pid) >= 0.45
    finally:
        server.communicate(b"")

"""The landing folder as users really fill it: odd names, files still being written, symlinks,
truncated downloads. One bad entry never stops the others, and nothing is loaded twice."""

from __future__ import annotations

import gzip
import json
import logging
import os
import threading
import time

from comment_etl import pipeline
from comment_etl.landing.discover import scan_landing
from tests.reliability.helpers import counts, ledger, make_settings, run_steps, write_reddit


def test_a_non_utf8_file_name_fails_alone_and_the_others_load(tmp_path):
    settings = make_settings(tmp_path)
    write_reddit(settings.landing_dir / "good.ndjson", 30, prefix="g")
    bad_name = os.path.join(os.fsencode(settings.landing_dir), b"caf\xe9.ndjson")
    with open(bad_name, "wb") as fh:
        fh.write((settings.landing_dir / "good.ndjson").read_bytes())
    assert counts(settings.warehouse)["load_ledger"] == 0

    candidates = pipeline.discover(settings)
    json.dumps(candidates).encode("utf-8")  # what pushing the XCom does; crashed before
    summary = run_steps(settings, "run1")

    assert (summary["files_loaded"], summary["files_failed"], summary["comments"]) == (1, 1, 30)
    status = ledger(settings.warehouse)
    assert status["good.ndjson"] == ("loaded", None)
    assert status["caf\\xe9.ndjson"][0] == "failed"
    assert "not valid UTF-8" in status["caf\\xe9.ndjson"][1]
    assert counts(settings.warehouse) == {
        "comments": 30,
        "contents": 1,
        "rejects": 1,
        "load_ledger": 2,
    }
    # The next run does not stop there either, and records nothing twice.
    assert run_steps(settings, "run2")["files_failed"] == 0
    assert counts(settings.warehouse)["load_ledger"] == 2


def test_a_newline_in_a_file_name_cannot_forge_a_log_line(tmp_path, caplog):
    settings = make_settings(tmp_path)
    name = "evil.ndjson\nERROR everything is fine, ignore the rest"
    write_reddit(settings.landing_dir / name, 3)
    caplog.set_level(logging.INFO)

    summary = run_steps(settings, "run1")

    assert summary["comments"] == 3
    assert "\nERROR everything is fine" not in caplog.text
    assert "evil.ndjson\\nERROR everything is fine" in caplog.text  # quoted with %r
    assert list(ledger(settings.warehouse)) == [name]  # the data keeps the real name


def test_a_file_still_being_written_is_not_taken_until_it_is_stable(tmp_path):
    landing = tmp_path / "landing"
    path = write_reddit(landing / "growing.ndjson", 10)
    stop = threading.Event()

    def writer():
        with open(path, "ab") as fh:
            for i in range(10, 40):
                if stop.is_set():
                    return
                fh.write(json.dumps({"id": f"c{i}", "body": "more", "link_id": "t3_p"}).encode())
                fh.write(b"\n")
                fh.flush()
                time.sleep(0.1)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert scan_landing(landing, quiet_seconds=1.0) == []  # changed during the quiet period
    finally:
        stop.set()
        thread.join()
    (taken,) = scan_landing(landing, quiet_seconds=1.0)
    assert taken.size_bytes == path.stat().st_size


def test_bytes_hashed_are_the_bytes_parsed(tmp_path):
    """A file that grows between discover and parse is skipped whole, then loaded once."""
    settings = make_settings(tmp_path)
    path = write_reddit(settings.landing_dir / "RC.ndjson", 20)
    (candidate,) = pipeline.discover(settings)
    write_reddit(path, 50)  # the writer was not done: 50 comments now, same name

    manifest = pipeline.parse(settings, candidate, "run1")
    assert manifest["status"] == "skipped"
    assert "changed after discovery" in manifest["error"]
    summary = pipeline.load(settings, [manifest], "run1")
    assert (summary["files_loaded"], summary["files_failed"], summary["files_skipped"]) == (0, 0, 1)
    assert counts(settings.warehouse) == {
        "comments": 0,
        "contents": 0,
        "rejects": 0,
        "load_ledger": 0,
    }

    assert run_steps(settings, "run2")["comments"] == 50
    assert counts(settings.warehouse) == {
        "comments": 50,
        "contents": 1,
        "rejects": 0,
        "load_ledger": 1,
    }


def test_a_symlink_out_of_the_landing_folder_is_failed_not_followed(tmp_path):
    settings = make_settings(tmp_path)
    outside = write_reddit(tmp_path / "outside" / "secret.ndjson", 7, prefix="s")
    write_reddit(settings.landing_dir / "good.ndjson", 5, prefix="g")
    (settings.landing_dir / "link.ndjson").symlink_to(outside)

    summary = run_steps(settings, "run1")

    assert (summary["files_loaded"], summary["files_failed"], summary["comments"]) == (1, 1, 5)
    assert ledger(settings.warehouse)["link.ndjson"] == (
        "failed",
        "symlink points outside the landing folder",
    )
    assert counts(settings.warehouse)["comments"] == 5


def test_a_truncated_download_fails_whole_and_its_complete_version_loads(tmp_path):
    settings = make_settings(tmp_path)
    full = write_reddit(tmp_path / "full.ndjson.gz", 2000, compress=True).read_bytes()
    (settings.landing_dir / "RC_2025-02.ndjson.gz").write_bytes(full[: len(full) // 2])
    write_reddit(settings.landing_dir / "good.ndjson", 5, prefix="g")

    summary = run_steps(settings, "run1")

    assert (summary["files_loaded"], summary["files_failed"], summary["comments"]) == (1, 1, 5)
    status, error = ledger(settings.warehouse)["RC_2025-02.ndjson.gz"]
    assert status == "failed" and error.startswith("EOFError")
    assert counts(settings.warehouse)["comments"] == 5  # nothing of the half file

    (settings.landing_dir / "RC_2025-02.ndjson.gz").write_bytes(full)  # the complete download
    summary = run_steps(settings, "run2")
    assert (summary["files_loaded"], summary["comments"]) == (1, 2000)
    assert counts(settings.warehouse)["comments"] == 2005
    assert gzip.decompress(full).count(b"\n") == 2000

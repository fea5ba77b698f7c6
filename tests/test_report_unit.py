"""The report package without Airflow or dbt: file names, escaping, a snapshot that lacks marts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import pytest

from comment_etl.report.build import (
    LATEST,
    build_report,
    is_report_name,
    list_reports,
    report_name,
)
from comment_etl.report.charts import all_charts, seconds_label, t
from comment_etl.report.queries import read_report_data


def test_report_names_are_safe_and_listed_newest_first(tmp_path: Path):
    name = report_name("scheduled__2026-11-20T00:00:00+00:00")
    assert name == "report_scheduled__2026-11-20T00_00_00+00_00.html"
    assert report_name("../../etc/passwd") == "report_etc_passwd.html"
    assert is_report_name(name)
    for bad in (LATEST, "../report_x.html", "report_x.html/..", "comments_bi.duckdb", "x.html"):
        assert not is_report_name(bad), bad
    older, newer = tmp_path / report_name("a"), tmp_path / report_name("b")
    for path in (older, newer, tmp_path / LATEST, tmp_path / "notes.txt"):
        path.write_text("x")
    os.utime(older, (time.time() - 60, time.time() - 60))
    assert [r.name for r in list_reports(tmp_path)] == [newer.name, older.name]
    assert list_reports(tmp_path / "missing") == []


def test_chart_text_is_escaped_and_moments_read_as_video_time():
    assert t('<script>alert("x")</script>') == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert t(None) == ""
    assert [seconds_label(s) for s in (0, 75, 193, 3765)] == ["0:00", "1:15", "3:13", "1:02:45"]


def test_a_snapshot_without_marts_gives_a_report_of_empty_panels(tmp_path: Path):
    """An old or partial snapshot: every panel is still drawn (saying why it is empty)."""
    snapshot = tmp_path / "comments_bi.duckdb"
    with duckdb.connect(str(snapshot)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.dim_contents (content_key varchar, platform varchar)")
    data = read_report_data(snapshot)
    assert data.contents == [] and data.daily == []
    assert any("marts.dim_contents" in m for m in data.missing)
    assert any("marts.fct_moments" in m for m in data.missing)
    charts = all_charts(data)
    assert len(charts) == 9
    assert all(len(c.figure.layout.annotations) == 1 for c in charts)  # "no ..." notes

    path = build_report(snapshot, "manual__2026-11-30T10:00:00+00:00")
    page = path.read_text()
    assert path.with_name(LATEST).read_text() == page
    assert "not in this snapshot" in page and "marts.fct_moments" in page


def test_no_snapshot_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="run comments_daily"):
        build_report(tmp_path / "nope.duckdb", "run")

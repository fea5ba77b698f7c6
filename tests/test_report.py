"""The run report: comments_daily then comments_report with `dag.test()`, the page in Chromium.

One pipeline run over the seed page, a ytcd dump and a hostile dump (a comment carrying
`<script>` and markup, a spam comment, a malformed record), then the report DAG on the published
snapshot. The page is opened in the system's headless Chromium: every chart drew, no JavaScript
error, the hostile comment shows as text, a screenshot lands in the test's temp folder.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.browser import chromium, js_errors, missing_browser
from tests.conftest import FIXTURES, SEED_PAGE
from tests.dag_runner import run_dag, task_states

pytestmark = pytest.mark.usefixtures("airflow_db")

DAY = datetime(2026, 11, 20, tzinfo=UTC)
HOSTILE = "<script>window.__pwned=1</script> the landing at 2:45 <b>bold</b> & <i>more</i>"
PANELS = {
    "daily",
    "languages",
    "themes",
    "moments",
    "spam",
    "spam_reasons",
    "topics",
    "files",
    "rejects",
}


def hostile_dump(path: Path) -> None:
    """A ytcd dump: a hostile comment, a spam comment, a malformed record."""
    base = {"time": "1 day ago", "replies": "", "photo": "", "heart": False, "reply": False}
    lines = [
        {**base, "cid": "UgzHostile1", "text": HOSTILE, "author": "@attacker",
         "channel": "UCattacker", "votes": "3", "time_parsed": 1700100000.0},
        {**base, "cid": "UgzSpam1", "text": "sub4sub!! check out my channel www.spam-site.com",
         "author": "@spammer", "channel": "UCspammer", "votes": "0",
         "time_parsed": 1700200000.0},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n{not json\n")


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory, airflow_db):
    root = tmp_path_factory.mktemp("report")
    paths = {
        "landing": root / "landing",
        "snapshot": root / "warehouse" / "comments_bi.duckdb",
        "warehouse": root / "warehouse" / "comments.duckdb",
    }
    paths["landing"].mkdir()
    shutil.copy(SEED_PAGE, paths["landing"])
    shutil.copy(FIXTURES / "daily" / "Xk3vTq9LmPw.jsonl", paths["landing"])
    hostile_dump(paths["landing"] / "Hx7hostile1.jsonl")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMMENTS_LANDING_DIR", str(paths["landing"]))
        mp.setenv("COMMENTS_WAREHOUSE", str(paths["warehouse"]))
        mp.setenv("COMMENTS_BI_SNAPSHOT", str(paths["snapshot"]))
        mp.setenv("COMMENTS_WORK_DIR", str(root / "work"))
        mp.setenv("COMMENTS_DBT_TARGET_DIR", str(root / "dbt_target"))
        daily = run_dag(DAY)
        assert str(daily.state) == "success", task_states(daily)
        report = run_dag(DAY, "comments_report")
        yield {**paths, "run": report, "reports": paths["snapshot"].parent / "reports"}


def report_events() -> list[dict]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = (
            session.query(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .filter(AssetModel.name == "comments_report")
            .all()
        )
        return [dict(row.extra or {}) for row in rows]


def test_report_dag_writes_one_page_per_run_and_the_latest(reported):
    run = reported["run"]
    states = task_states(run)
    assert str(run.state) == "success", states
    assert states == {"freshness": "success", "dbt_docs": "success", "build_report": "success"}

    folder = reported["reports"]
    pages = sorted(p.name for p in folder.glob("report_*.html"))
    assert len(pages) == 2 and "report_latest.html" in pages, pages
    own = folder / next(p for p in pages if p != "report_latest.html")
    assert own.read_bytes() == (folder / "report_latest.html").read_bytes()
    # The path is in the report asset event (and the XCom of build_report).
    assert any(event.get("path") == str(own) for event in report_events()), report_events()

    page = own.read_text()
    # Self-contained: plotly.js inline, no script, style or image fetched from anywhere.
    assert re.findall(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=", page) == []
    assert "<script>window.__pwned" not in page  # escaped, never markup
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    # Freshness ran against the snapshot and its verdict is on the page.
    assert "dbt source freshness" in page and "comments.load_ledger" in page
    assert (folder / "dbt_docs.html").stat().st_size > 100_000
    assert 'href="dbt_docs.html"' in page


def test_report_never_writes_the_snapshot(reported):
    """The report reads the snapshot read-only: its bytes are the ones publish wrote."""
    snapshot = reported["snapshot"]
    before = snapshot.read_bytes()
    run_dag(DAY, "comments_report")
    assert snapshot.read_bytes() == before
    with duckdb.connect(str(snapshot), read_only=True) as con:
        spam = con.execute("select count(*) from marts.fct_comments where is_spam").fetchone()[0]
    assert spam >= 1  # the spam panel below has something to draw


@pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser()))
def test_report_renders_in_headless_chromium(reported, tmp_path: Path):
    latest = reported["reports"] / "report_latest.html"
    with chromium(tmp_path / "profile") as driver:
        driver.get(latest.as_uri())
        # Plotly draws synchronously on load; wait until every panel holds its SVG.
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(driver, 60).until(
            lambda d: d.execute_script(
                "return [...document.querySelectorAll('section.panel')]"
                ".every(s => s.querySelector('svg.main-svg'))"
            )
        )
        drawn = dict(
            driver.execute_script(
                "return [...document.querySelectorAll('section.panel')].map(s => [s.dataset.chart,"
                " s.querySelectorAll('g.trace, .heatmaplayer image, .hm image').length])"
            )
        )
        errors = js_errors(driver)
        pwned = driver.execute_script("return window.__pwned")
        table = driver.find_element("css selector", "#moments-table").text
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1400, min(height, 6000))
        shot = tmp_path / "report.png"
        driver.save_screenshot(str(shot))

    assert set(drawn) == PANELS, drawn
    assert all(count > 0 for count in drawn.values()), f"panels without data drawn: {drawn}"
    assert errors == []
    assert pwned is None  # the comment's script never ran ...
    assert "<script>window.__pwned=1</script> the landing at 2:45 <b>bold</b>" in table  # text
    assert shot.stat().st_size > 50_000

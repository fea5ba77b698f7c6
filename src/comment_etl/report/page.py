"""The report as one self-contained HTML page: plotly.js inline (works offline), one div per chart.

All text is escaped with `html.escape` here (tables, titles, numbers alike), and the chart texts
were escaped in charts.py: a comment is hostile input and shows exactly as written.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

import plotly.io as pio
from plotly.offline import get_plotlyjs

from comment_etl.report.charts import Chart, all_charts, seconds_label
from comment_etl.report.queries import ReportData

CSS = """
body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1f2933}
header{background:#017cee;color:#fff;padding:16px 24px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;opacity:.9}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px;padding:16px}
section{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 3px #0002}
section h2{font-size:16px;margin:0 0 4px} .note{color:#52606d;font-size:13px;margin:0 0 8px}
.kpis{display:flex;flex-wrap:wrap;gap:12px;padding:16px 16px 0}
.kpi{background:#fff;border-radius:8px;padding:10px 16px;box-shadow:0 1px 3px #0002;min-width:140px}
.kpi b{display:block;font-size:22px} .kpi span{color:#52606d;font-size:12px}
.warn b{color:#c05621} .error b{color:#c53030}
table{border-collapse:collapse;width:100%;font-size:13px}
td,th{border-bottom:1px solid #e4e7eb;padding:4px 6px;text-align:left;vertical-align:top}
.wide{grid-column:1/-1} footer{padding:0 24px 24px;color:#52606d;font-size:12px}
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _kpis(data: ReportData, freshness: dict[str, Any] | None) -> str:
    comments = sum(row["comments"] or 0 for row in data.spam_by_content)
    spam = sum(row["spam_comments"] or 0 for row in data.spam_by_content)
    files = {row["status"]: row["files"] for row in data.files}
    quality = data.language_quality
    fresh_status = (freshness or {}).get("status", "not run")
    cards = [
        ("contents", len(data.contents), ""),
        ("comments (non-spam)", comments, ""),
        ("spam share", _pct(spam / (comments + spam) if comments + spam else None), ""),
        ("files loaded", files.get("loaded", 0), ""),
        ("files failed", files.get("failed", 0), "error" if files.get("failed") else ""),
        ("`und` share", _pct(quality.get("und_share")), ""),
        ("low-confidence share", _pct(quality.get("low_confidence_share")), ""),
        (
            "source freshness",
            fresh_status,
            "" if fresh_status == "pass" else ("error" if "error" in fresh_status else "warn"),
        ),
    ]
    return "".join(
        f'<div class="kpi {esc(css)}"><b>{esc(value)}</b><span>{esc(label)}</span></div>'
        for label, value, css in cards
    )


def _chart_section(chart: Chart, css: str = "") -> str:
    div = pio.to_html(
        chart.figure,
        full_html=False,
        include_plotlyjs=False,
        div_id=f"chart-{chart.chart_id}",
        config={"displaylogo": False, "responsive": True},
    )
    return (
        f'<section class="panel {css}" data-chart="{esc(chart.chart_id)}">'
        f"<h2>{esc(chart.title)}</h2><p class=note>{esc(chart.note)}</p>{div}</section>"
    )


def _moments_table(data: ReportData) -> str:
    top = sorted(data.moments, key=lambda r: (-r["mentions"], r["second"]))[:10]
    rows = "".join(
        f"<tr><td>{esc(data.content_label(r['content_key']))}</td>"
        f"<td>{esc(r['moment_label'] or seconds_label(r['second']))}</td>"
        f"<td>{esc(r['mentions'])}</td><td class=excerpt>{esc(r['excerpt'])}</td></tr>"
        for r in top
    )
    return (
        '<section class="wide" id="moments-table"><h2>Most mentioned moments</h2>'
        "<p class=note>With the most-liked comment that points at each (as written).</p>"
        "<table><tr><th>content</th><th>moment</th><th>comments</th><th>example</th></tr>"
        f"{rows or '<tr><td colspan=4>none</td></tr>'}</table></section>"
    )


def _quality_table(data: ReportData, freshness: dict[str, Any] | None) -> str:
    quality = data.language_quality
    lines = [
        ("snapshot written", data.snapshot_mtime.strftime("%Y-%m-%d %H:%M UTC")),
        ("read from", data.snapshot),
        (
            "last file loaded",
            data.last_load_at.strftime("%Y-%m-%d %H:%M %Z") if data.last_load_at else "never",
        ),
        ("comments with a language label checked", quality.get("comments", 0)),
        ("`und` share", _pct(quality.get("und_share"))),
        ("low-confidence share", _pct(quality.get("low_confidence_share"))),
    ]
    fresh = freshness or {"status": "not run"}
    lines.append(("dbt source freshness", fresh.get("status")))
    for source in fresh.get("sources", []):
        age = source.get("age_hours")
        lines.append(
            (
                f"  {source.get('source')}",
                f"{source.get('status')}, newest row {source.get('max_loaded_at') or 'none'}"
                + (f" ({age:.1f} h old)" if isinstance(age, int | float) else ""),
            )
        )
    if fresh.get("error"):
        lines.append(("freshness error", fresh["error"]))
    if data.missing:
        lines.append(("not in this snapshot", "; ".join(data.missing)))
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in lines)
    return (
        '<section id="quality-table"><h2>Can the data be trusted today?</h2>'
        f"<p class=note>Freshness, language labels, what is missing.</p><table>{rows}</table>"
        "</section>"
    )


def _snapshot_label(data: ReportData) -> str:
    """The header's snapshot: its time, and in lake mode its id."""
    when = data.snapshot_mtime.strftime("%Y-%m-%d %H:%M UTC")
    if data.snapshot_id is None:
        return f"snapshot {when}"
    return f"lake snapshot {data.snapshot_id} of {when}"


def render_page(
    data: ReportData,
    run_id: str,
    generated_at: datetime,
    freshness: dict[str, Any] | None = None,
    docs_href: str | None = None,
) -> str:
    """The whole page as a string (about 5 MB: plotly.js is inlined once)."""
    charts = {chart.chart_id: chart for chart in all_charts(data)}
    sections = [
        _chart_section(charts["daily"], "wide"),
        _chart_section(charts["languages"]),
        _chart_section(charts["themes"]),
        _chart_section(charts["moments"], "wide"),
        _moments_table(data),
        _chart_section(charts["spam"]),
        _chart_section(charts["spam_reasons"]),
        _chart_section(charts["topics"], "wide"),
        '<h2 class="wide" style="margin:8px 0 0">Data quality</h2>',
        _chart_section(charts["files"]),
        _chart_section(charts["rejects"]),
        _quality_table(data, freshness),
    ]
    docs = f' · <a href="{esc(docs_href)}">dbt docs</a>' if docs_href else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>Comments report {esc(run_id)}</title><style>{CSS}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<header><h1>Comments warehouse report</h1><p>run {esc(run_id)} · generated "
        f"{esc(generated_at.strftime('%Y-%m-%d %H:%M UTC'))} · {esc(_snapshot_label(data))}"
        "</p></header>"
        f'<div class="kpis">{_kpis(data, freshness)}</div>'
        f"<main>{''.join(sections)}</main>"
        f"<footer>Built from the read-only BI snapshot by the comments_report DAG{docs}."
        "</footer></body></html>"
    )

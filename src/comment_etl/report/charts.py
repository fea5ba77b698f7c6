"""The report's charts: one plotly figure per panel, built from ReportData rows.

Every string that reaches a figure goes through `t()` first. Plotly renders labels as its own
small HTML dialect (`<b>`, `<br>`, `<a href>`) and decodes entities, so an escaped comment shows
exactly as written (`<script>` included) and can neither inject markup nor a link; it also keeps
`</script>` out of the figure JSON embedded in the page.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from comment_etl.report.queries import ReportData

LAYOUT = {
    "template": "plotly_white",
    "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
    "height": 380,
    "legend": {"orientation": "h", "y": -0.2},
    "font": {"family": "system-ui, sans-serif", "size": 12},
}


@dataclass
class Chart:
    """One panel of the page: a stable id, a title, a plain-text explanation, the figure."""

    chart_id: str
    title: str
    note: str
    figure: go.Figure


def t(value: Any) -> str:
    """Text for plotly: escaped, never None."""
    return html.escape("" if value is None else str(value), quote=True)


def seconds_label(second: int) -> str:
    hours, rest = divmod(int(second), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _figure(traces: list[Any], empty: str, **layout: Any) -> go.Figure:
    fig = go.Figure(data=traces)
    fig.update_layout(**{**LAYOUT, **layout})
    if not traces:
        # Still a drawn chart: an empty panel says why instead of vanishing.
        fig.add_annotation(text=t(empty), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
    return fig


def daily_comments(data: ReportData) -> Chart:
    by_content: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in data.daily:
        by_content[row["content_key"]].append(row)
    traces = [
        go.Bar(
            name=t(data.content_label(key)),
            x=[row["comment_date"] for row in rows],
            y=[row["comments"] for row in rows],
        )
        for key, rows in by_content.items()
    ]
    fig = _figure(traces, "no dated comments", barmode="stack", yaxis_title="comments")
    return Chart(
        "daily",
        "Comments per day",
        "Non-spam comments by UTC day of publication, stacked per content.",
        fig,
    )


def language_mix(data: ReportData) -> Chart:
    keys = list(dict.fromkeys(row["content_key"] for row in data.languages))
    languages = sorted({row["language"] for row in data.languages})
    counts = {(row["content_key"], row["language"]): row["comments"] for row in data.languages}
    labels = [t(data.content_label(key)) for key in keys]
    traces = [
        go.Bar(
            name=t(language),
            orientation="h",
            y=labels,
            x=[counts.get((key, language), 0) for key in keys],
        )
        for language in languages
    ]
    fig = _figure(traces, "no comments", barmode="stack", xaxis_title="comments")
    return Chart(
        "languages",
        "Language mix per content",
        "Non-spam comments per detected language (`und` = undetermined).",
        fig,
    )


def theme_shares(data: ReportData) -> Chart:
    themes = sorted({row["theme"] for row in data.themes})
    languages = sorted({row["language"] for row in data.themes})
    share = {(row["theme"], row["language"]): row["share"] for row in data.themes}
    traces = []
    if themes and languages:
        traces.append(
            go.Heatmap(
                x=[t(language) for language in languages],
                y=[t(theme) for theme in themes],
                z=[[share.get((theme, lang)) for lang in languages] for theme in themes],
                colorscale="Blues",
                zmin=0,
                hovertemplate="%{y} in %{x}: %{z:.0%}<extra></extra>",
                colorbar={"tickformat": ".0%"},
            )
        )
    fig = _figure(traces, "no themes matched", xaxis_title="language")
    return Chart(
        "themes",
        "Theme shares by language",
        "Share of each language's non-spam comments that carry the theme (all contents).",
        fig,
    )


def top_moments(data: ReportData) -> Chart:
    by_content: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in data.moments:
        by_content[row["content_key"]].append(row)
    traces = [
        go.Scatter(
            name=t(data.content_label(key)),
            mode="markers+lines",
            x=[row["second"] for row in rows],
            y=[row["mentions"] for row in rows],
            text=[t(row["moment_label"]) for row in rows],
            customdata=[t((row["excerpt"] or "")[:120]) for row in rows],
            hovertemplate="%{text}: %{y} mentions<br>%{customdata}<extra></extra>",
        )
        for key, rows in by_content.items()
    ]
    seconds = sorted({row["second"] for row in data.moments})
    step = max(1, len(seconds) // 12)
    fig = _figure(
        traces,
        "no comment points at a moment",
        xaxis={
            "title": "time in the video",
            "tickvals": seconds[::step],
            "ticktext": [seconds_label(s) for s in seconds[::step]],
        },
        yaxis_title="comments mentioning it",
    )
    return Chart(
        "moments",
        "Top moments on the video's time axis",
        "Timestamps (m:ss) that non-spam comments point at, the most mentioned per content.",
        fig,
    )


def spam_share(data: ReportData) -> Chart:
    rows = data.spam_by_content
    traces = []
    if rows:
        traces.append(
            go.Bar(
                x=[t(data.content_label(row["content_key"])) for row in rows],
                y=[row["spam_share"] or 0 for row in rows],
                text=[
                    f"{row['spam_comments']} of {row['comments'] + row['spam_comments']}"
                    for row in rows
                ],
                hovertemplate="%{x}: %{y:.1%} spam (%{text})<extra></extra>",
                marker_color="#d62728",
            )
        )
    fig = _figure(traces, "no comments", yaxis={"tickformat": ".0%", "title": "spam share"})
    return Chart("spam", "Spam share", "Comments flagged spam, per content.", fig)


def spam_reasons(data: ReportData) -> Chart:
    rows = list(reversed(data.spam_reasons))
    traces = (
        [
            go.Bar(
                orientation="h",
                y=[t(row["reason"]) for row in rows],
                x=[row["comments"] for row in rows],
                marker_color="#ff7f0e",
            )
        ]
        if rows
        else []
    )
    fig = _figure(traces, "no spam flagged", xaxis_title="spam comments", margin_l=160)
    return Chart(
        "spam_reasons",
        "Top spam reasons",
        "Signals that fired on the comments flagged spam (one comment can have several).",
        fig,
    )


def topics(data: ReportData) -> Chart:
    rows = [row for row in data.topics if row["term_type"] == "unigram"] or data.topics
    keys = list(dict.fromkeys(row["content_key"] for row in rows))[:6]
    traces = []
    for key in keys:
        own = [row for row in rows if row["content_key"] == key][::-1]
        traces.append(
            go.Bar(
                name=t(data.content_label(key)),
                orientation="h",
                y=[f"{t(row['term'])} ({row['rank']})" for row in own],
                x=[row["tfidf"] for row in own],
                customdata=[row["comments_with_term"] for row in own],
                hovertemplate="%{y}: tf-idf %{x:.2f}, %{customdata} comments<extra></extra>",
            )
        )
    fig = _figure(traces, "no topics discovered", xaxis_title="tf-idf", height=460, margin_l=160)
    return Chart(
        "topics",
        "Discovered topics",
        "The most distinctive words of each content's comments (TF-IDF, rank in brackets).",
        fig,
    )


def files_loaded(data: ReportData) -> Chart:
    traces = (
        [
            go.Bar(
                x=[t(row["status"]) for row in data.files],
                y=[row["files"] for row in data.files],
                text=[
                    f"{row['rows_loaded'] or 0} rows, {row['rows_rejected'] or 0} rejected"
                    for row in data.files
                ],
                marker_color=[
                    "#2ca02c" if r["status"] == "loaded" else "#d62728" for r in data.files
                ],
            )
        ]
        if data.files
        else []
    )
    fig = _figure(traces, "no file loaded yet", yaxis_title="files", height=300)
    return Chart("files", "Files loaded / failed", "Every landing file the loader processed.", fig)


def rejects(data: ReportData) -> Chart:
    rows = list(reversed(data.rejects))
    traces = (
        [
            go.Bar(
                orientation="h",
                y=[t(row["reason"])[:60] for row in rows],
                x=[row["records"] for row in rows],
                customdata=[t(row["example"])[:160] for row in rows],
                hovertemplate="%{x} records<br>%{customdata}<extra></extra>",
                marker_color="#9467bd",
            )
        ]
        if rows
        else []
    )
    fig = _figure(traces, "no rejected record", xaxis_title="records", height=300, margin_l=160)
    return Chart("rejects", "Rejects by reason", "Records quarantined in staging.rejects.", fig)


def all_charts(data: ReportData) -> list[Chart]:
    """Every panel, in page order."""
    return [
        daily_comments(data),
        language_mix(data),
        theme_shares(data),
        top_moments(data),
        spam_share(data),
        spam_reasons(data),
        topics(data),
        files_loaded(data),
        rejects(data),
    ]

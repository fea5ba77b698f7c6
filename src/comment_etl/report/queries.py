"""What the run report shows, read from the BI snapshot (read-only) into plain Python rows.

The published data is the snapshot file (file mode) or the lake pinned to its published
snapshot (lake mode, `comment_etl.bi.published_source`); "snapshot written" is the file's mtime
or the lake snapshot's commit time.

The marts are read defensively: a mart or a column that a given warehouse does not have (an
older snapshot, a column another model adds later) yields an empty section or a NULL, never an
error, so the report of a run is never lost over one panel. Every row is a dict of plain values
(str, int, float, None); nothing here formats or escapes: charts.py and page.py do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from comment_etl.bi import snapshot_time
from comment_etl.warehouse.connect import connect, scalar
from comment_etl.warehouse.target import Lake, Warehouse, as_warehouse

log = logging.getLogger(__name__)

#: Moments per content shown on the time axis (the most mentioned ones).
TOP_MOMENTS = 15
#: Discovered terms per content and term type.
TOP_TERMS = 10
#: Spam reasons / reject reasons shown.
TOP_REASONS = 10


@dataclass
class ReportData:
    """Everything the page needs, as rows of plain values."""

    #: The snapshot file, or the lake (password redacted) with ``@<snapshot id>``.
    snapshot: str
    #: When it was published: the file's mtime, the lake snapshot's commit time.
    snapshot_mtime: datetime
    #: Lake mode: the published snapshot id read; None for a snapshot file.
    snapshot_id: int | None = None
    contents: list[dict[str, Any]] = field(default_factory=list)
    daily: list[dict[str, Any]] = field(default_factory=list)
    languages: list[dict[str, Any]] = field(default_factory=list)
    themes: list[dict[str, Any]] = field(default_factory=list)
    moments: list[dict[str, Any]] = field(default_factory=list)
    spam_by_content: list[dict[str, Any]] = field(default_factory=list)
    spam_reasons: list[dict[str, Any]] = field(default_factory=list)
    topics: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    language_quality: dict[str, Any] = field(default_factory=dict)
    last_load_at: datetime | None = None
    missing: list[str] = field(default_factory=list)

    def content_label(self, content_key: str) -> str:
        """A short human label for a content: its title, else platform:id."""
        for row in self.contents:
            if row["content_key"] == content_key:
                title = (row.get("title") or "").strip()
                label = title or f"{row['platform']}:{row['content_id']}"
                return label if len(label) <= 48 else label[:47] + "…"
        return content_key[:12]


class _Reader:
    """Runs queries on the snapshot, noting (not raising) what the snapshot lacks."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.missing: list[str] = []
        rows = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where table_catalog = current_database()"
        ).fetchall()
        self.columns: dict[str, set[str]] = {}
        for schema, table, column in rows:
            self.columns.setdefault(f"{schema}.{table}", set()).add(column)

    def has(self, table: str, *columns: str) -> bool:
        known = self.columns.get(table)
        if known is None or not set(columns) <= known:
            lacking = [c for c in columns if not known or c not in known]
            self.missing.append(f"{table} ({', '.join(lacking) or 'table'})")
            return False
        return True

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_report_data(source: Warehouse | str) -> ReportData:
    """Read every section of the report from the published data, opened read-only: a snapshot
    file, or a lake pinned to its published snapshot (`Lake.at`)."""
    source = as_warehouse(source)
    version = source.snapshot_version if isinstance(source, Lake) else None
    if isinstance(source, Lake) and version is None:
        raise ValueError(
            f"the report reads a published snapshot of the lake, not its latest state: "
            f"{str(source)!r} is not pinned (use comment_etl.bi.published_source)"
        )
    # A file's stat comes first: a missing file is a FileNotFoundError, not DuckDB's error.
    written = None if isinstance(source, Lake) else source.stat().st_mtime
    with connect(source, read_only=True) as con:
        data = ReportData(
            snapshot=str(source),
            snapshot_mtime=(
                snapshot_time(con, version)
                if version is not None
                else datetime.fromtimestamp(written or 0.0, tz=UTC)
            ),
            snapshot_id=version,
        )
        reader = _Reader(con)
        _contents(reader, data)
        _daily(reader, data)
        _languages(reader, data)
        _themes(reader, data)
        _moments(reader, data)
        _spam(reader, data)
        _topics(reader, data)
        _quality(reader, data)
    data.missing = reader.missing
    if data.missing:
        log.warning("the snapshot %r lacks %s: those panels are empty", data.snapshot, data.missing)
    return data


def _contents(r: _Reader, data: ReportData) -> None:
    if r.has("marts.dim_contents", "content_key", "platform", "content_id", "title"):
        data.contents = r.rows(
            "select content_key, platform, content_id, title from marts.dim_contents "
            "order by platform, content_id"
        )


def _daily(r: _Reader, data: ReportData) -> None:
    if r.has("marts.fct_engagement_daily", "content_key", "comment_date", "comments"):
        data.daily = r.rows(
            "select content_key, comment_date, comments from marts.fct_engagement_daily "
            "order by comment_date, content_key"
        )


def _languages(r: _Reader, data: ReportData) -> None:
    if r.has("marts.fct_language_mix", "content_key", "language", "comments"):
        data.languages = r.rows(
            "select content_key, language, comments from marts.fct_language_mix "
            "where comments > 0 order by content_key, comments desc, language"
        )


def _themes(r: _Reader, data: ReportData) -> None:
    """Share of each language's non-spam comments that carry each theme (all contents)."""
    if r.has("marts.fct_theme_summary", "theme", "language", "comments") and r.has(
        "marts.fct_language_mix", "language", "comments"
    ):
        data.themes = r.rows(
            "with per_language as ("
            "  select language, sum(comments) as language_comments from marts.fct_language_mix"
            "  group by language having sum(comments) > 0) "
            "select t.theme, t.language, sum(t.comments) as comments, "
            "  sum(t.comments) / any_value(p.language_comments) as share "
            "from marts.fct_theme_summary t join per_language p using (language) "
            "group by t.theme, t.language order by t.theme, t.language"
        )


def _moments(r: _Reader, data: ReportData) -> None:
    if r.has("marts.fct_moments", "content_key", "second", "moment_label", "mentions"):
        excerpt = (
            "example_text_excerpt"
            if r.has("marts.fct_moments", "example_text_excerpt")
            else "null::varchar"
        )
        data.moments = r.rows(
            f"select content_key, second, moment_label, mentions, {excerpt} as excerpt "
            "from marts.fct_moments "
            "qualify row_number() over ("
            "  partition by content_key order by mentions desc, second) <= ? "
            "order by content_key, second",
            [TOP_MOMENTS],
        )


def _spam(r: _Reader, data: ReportData) -> None:
    if r.has("marts.fct_engagement_by_content", "content_key", "comments", "spam_comments"):
        data.spam_by_content = r.rows(
            "select content_key, comments, spam_comments, "
            "  spam_comments / nullif(comments + spam_comments, 0) as spam_share "
            "from marts.fct_engagement_by_content order by content_key"
        )
    if r.has("marts.fct_comments", "is_spam", "spam_reasons"):
        data.spam_reasons = r.rows(
            "select reason, count(*) as comments from ("
            "  select unnest(spam_reasons) as reason from marts.fct_comments where is_spam) "
            "group by reason order by comments desc, reason limit ?",
            [TOP_REASONS],
        )


def _topics(r: _Reader, data: ReportData) -> None:
    if r.has("marts.fct_content_topics", "content_key", "term_type", "rank", "term", "tfidf"):
        data.topics = r.rows(
            "select content_key, term_type, rank, term, comments_with_term, tfidf "
            "from marts.fct_content_topics where rank <= ? "
            "order by content_key, term_type desc, rank",
            [TOP_TERMS],
        )


def _quality(r: _Reader, data: ReportData) -> None:
    """Files loaded/failed, rejects by reason, und / low-confidence shares, last load time."""
    if r.has("staging.load_ledger", "status", "rows_loaded", "rows_rejected", "loaded_at"):
        data.files = r.rows(
            "select status, count(*) as files, sum(rows_loaded) as rows_loaded, "
            "sum(rows_rejected) as rows_rejected from staging.load_ledger "
            "group by status order by status"
        )
        data.last_load_at = scalar(r.con, "select max(loaded_at) from staging.load_ledger")
    if r.has("staging.rejects", "reason"):
        # Reasons carry details after a colon ("invalid json: Expecting value ..."): group by
        # the kind, keep one example.
        data.rejects = r.rows(
            "select split_part(reason, ':', 1) as reason, count(*) as records, "
            "min(reason) as example from staging.rejects "
            "group by 1 order by records desc, reason limit ?",
            [TOP_REASONS],
        )
    if r.has("marts.fct_language_confidence", "scope", "comments", "und_comments"):
        low = (
            "sum(low_confidence_comments)"
            if r.has("marts.fct_language_confidence", "low_confidence_comments")
            else "null"
        )
        rows = r.rows(
            f"select sum(comments) as comments, sum(und_comments) as und_comments, "
            f"{low} as low_confidence_comments from marts.fct_language_confidence "
            "where scope = 'all'"
        )
        row = rows[0] if rows else {}
        total = row.get("comments") or 0
        data.language_quality = {
            "comments": int(total),
            "und_share": (row["und_comments"] or 0) / total if total else None,
            "low_confidence_share": (
                (row["low_confidence_comments"] or 0) / total
                if total and row.get("low_confidence_comments") is not None
                else None
            ),
        }

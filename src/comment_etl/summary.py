"""Print what landed in the marts (the end of `make demo`), read from the published data.

Usage: ``python -m comment_etl.summary [snapshot.duckdb]``; by default the published data of
the settings: the COMMENTS_BI_SNAPSHOT file, or in lake mode the lake at its published snapshot.
"""

from __future__ import annotations

import sys
from pathlib import Path

from comment_etl.bi import NothingPublished, published_source, snapshot_time
from comment_etl.config import load_settings
from comment_etl.warehouse.connect import connect, scalar
from comment_etl.warehouse.publish import mart_row_counts
from comment_etl.warehouse.target import Lake, Warehouse, as_warehouse


def render(source: Warehouse | str) -> str:
    """The summary of a snapshot file, or of a lake pinned to a snapshot (`Lake.at`)."""
    source = as_warehouse(source)
    out: list[str] = [f"BI snapshot: {source}"]
    with connect(source, read_only=True) as con:
        if isinstance(source, Lake) and source.snapshot_version is not None:
            committed = snapshot_time(con, source.snapshot_version)
            out.append(
                f"Lake snapshot {source.snapshot_version}, committed "
                f"{committed:%Y-%m-%d %H:%M:%S} UTC"
            )
        out += ["", "Rows per mart:"]
        for table, rows in mart_row_counts(con).items():
            out.append(f"  marts.{table:<28} {rows:>8}")
        contents = con.execute(
            "select d.platform, d.content_id, coalesce(d.title, '(no title)'), "
            "e.comments, e.replies from marts.dim_contents d "
            "join marts.fct_engagement_by_content e using (platform, content_id) "
            "order by e.comments desc, d.content_id"
        ).fetchall()
        out.append("")
        out.append(f"Contents: {len(contents)}")
        for platform, content_id, title, comments, replies in contents:
            out.append("")
            out.append(f"  [{platform}] {title[:70]}  ({content_id})")
            themed = scalar(
                con,
                "select count(*) filter (where theme_count > 0) from marts.fct_comments "
                "where platform = ? and content_id = ? and not is_spam",
                [platform, content_id],
            )
            out.append(
                f"    comments: {comments} ({replies} replies), {themed} with a theme "
                "(spam excluded)"
            )
            languages = con.execute(
                "select language, comments from marts.fct_language_mix "
                "where platform = ? and content_id = ? order by comments desc, language",
                [platform, content_id],
            ).fetchall()
            out.append("    languages: " + ", ".join(f"{lang} {n}" for lang, n in languages))
            themes = con.execute(
                "select theme, sum(comments) as n from marts.fct_theme_summary "
                "where platform = ? and content_id = ? group by theme having sum(comments) > 0 "
                "order by n desc, theme limit 5",
                [platform, content_id],
            ).fetchall()
            out.append("    top themes: " + (", ".join(f"{t} {n}" for t, n in themes) or "none"))
        rejects = scalar(con, "select count(*) from staging.rejects")
        failed = scalar(con, "select count(*) from staging.load_ledger where status = 'failed'")
    out.append("")
    out.append(f"Rejected records: {rejects}; failed files: {failed} (see staging.rejects)")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    settings = load_settings()
    try:
        if args:
            source = published_source(Path(args[0]), args[0])
        else:
            source = published_source(settings.warehouse, settings.bi_snapshot)
    except NothingPublished as exc:
        print(exc, file=sys.stderr)
        return 1
    print(render(source))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

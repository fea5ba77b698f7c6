"""Print what landed in the marts (the end of `make demo`), read from the BI snapshot.

Usage: ``python -m comment_etl.summary [snapshot.duckdb]`` (default: COMMENTS_BI_SNAPSHOT).
"""

from __future__ import annotations

import sys
from pathlib import Path

from comment_etl.config import load_settings
from comment_etl.warehouse.connect import connect, scalar
from comment_etl.warehouse.publish import mart_row_counts


def render(snapshot: Path) -> str:
    out: list[str] = [f"BI snapshot: {snapshot}", "", "Rows per mart:"]
    with connect(snapshot, read_only=True) as con:
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
    snapshot = Path(args[0]) if args else load_settings().bi_snapshot
    if not snapshot.exists():
        print(f"no BI snapshot at {snapshot}: run the DAG first", file=sys.stderr)
        return 1
    print(render(snapshot))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

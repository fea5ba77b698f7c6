"""Write the report of a run next to the snapshot and list the past ones.

Layout: ``<snapshot dir>/reports/report_<run>.html`` per run plus ``report_latest.html`` (a copy,
not a link, so it can be copied or mailed as one file) and ``dbt_docs.html`` when docs were
generated. In lake mode too the folder is the one of ``COMMENTS_BI_SNAPSHOT`` (a local folder;
no snapshot file is written there then). Each file is written to a temp name and `os.replace`d:
a reader (the Airflow UI plugin, a browser) never sees half a page.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from comment_etl.bi import NothingPublished
from comment_etl.report.page import render_page
from comment_etl.report.queries import read_report_data
from comment_etl.warehouse.target import Lake, Warehouse, as_warehouse

log = logging.getLogger(__name__)

LATEST = "report_latest.html"
DOCS = "dbt_docs.html"
_REPORT_NAME = re.compile(r"^report_(?!latest\.html$)[A-Za-z0-9_.+-]+\.html$")


@dataclass(frozen=True)
class ReportFile:
    name: str
    path: Path
    modified: datetime
    size_bytes: int


def reports_dir(snapshot: str | Path) -> Path:
    return Path(snapshot).parent / "reports"


def report_name(run_id: str) -> str:
    """A file name for a run id (run ids hold ':' and '+'; keep a readable, safe subset)."""
    return "report_" + re.sub(r"[^A-Za-z0-9_.+-]+", "_", run_id).strip("._") + ".html"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def build_report(
    source: Warehouse | str,
    run_id: str,
    freshness: dict[str, Any] | None = None,
    out_dir: str | Path | None = None,
) -> Path:
    """Render the report of `run_id` from the published data; returns the run's file (latest
    updated).

    `source` is the snapshot file (the pages go next to it unless `out_dir` says otherwise) or,
    in lake mode, the lake pinned to its published snapshot (`comment_etl.bi.published_source`;
    `out_dir` is then required: ``reports_dir(settings.bi_snapshot)``).
    """
    source = as_warehouse(source)
    if isinstance(source, Path) and not source.exists():
        raise NothingPublished(
            f"BI snapshot {str(source)!r} does not exist: run comments_daily (publish) first"
        )
    if out_dir is not None:
        out = Path(out_dir)
    elif isinstance(source, Lake):
        raise ValueError("a report of the lake needs out_dir (reports_dir(bi_snapshot))")
    else:
        out = reports_dir(source)
    data = read_report_data(source)
    docs_href = DOCS if (out / DOCS).exists() else None
    page = render_page(data, run_id, datetime.now(UTC), freshness, docs_href)
    path = out / report_name(run_id)
    write_atomic(path, page)
    write_atomic(out / LATEST, page)
    log.info(
        "report of run %r from %r written: %r (also %r)",
        run_id,
        data.snapshot,
        str(path),
        str(out / LATEST),
    )
    return path


def list_reports(folder: str | Path) -> list[ReportFile]:
    """The per-run reports in `folder`, newest first (the latest copy not included)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if _REPORT_NAME.match(path.name) and path.is_file():
            stat = path.stat()
            found.append(
                ReportFile(
                    path.name, path, datetime.fromtimestamp(stat.st_mtime, tz=UTC), stat.st_size
                )
            )
    return sorted(found, key=lambda f: (f.modified, f.name), reverse=True)


def is_report_name(name: str) -> bool:
    """True for a file name `list_reports` would list (the plugin serves nothing else)."""
    return bool(_REPORT_NAME.match(name))

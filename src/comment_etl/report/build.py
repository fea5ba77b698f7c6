"""Write the report of a run next to the snapshot and list the past ones.

Layout: ``<snapshot dir>/reports/report_<run>.html`` per run plus ``report_latest.html`` (a copy,
not a link, so it can be copied or mailed as one file) and ``dbt_docs.html`` when docs were
generated. Each file is written to a temp name and `os.replace`d: a reader (the Airflow UI
plugin, a browser) never sees half a page.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from comment_etl.report.page import render_page
from comment_etl.report.queries import read_report_data

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
    snapshot: str | Path,
    run_id: str,
    freshness: dict[str, Any] | None = None,
    out_dir: str | Path | None = None,
) -> Path:
    """Render the report of `run_id` from `snapshot`; returns the run's file (latest updated)."""
    snapshot = Path(snapshot)
    if not snapshot.exists():
        raise FileNotFoundError(
            f"BI snapshot {str(snapshot)!r} does not exist: run comments_daily (publish) first"
        )
    out = Path(out_dir) if out_dir else reports_dir(snapshot)
    data = read_report_data(snapshot)
    docs_href = DOCS if (out / DOCS).exists() else None
    page = render_page(data, run_id, datetime.now(UTC), freshness, docs_href)
    path = out / report_name(run_id)
    write_atomic(path, page)
    write_atomic(out / LATEST, page)
    log.info("report of run %r written: %r (also %r)", run_id, str(path), str(out / LATEST))
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

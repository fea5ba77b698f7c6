"""Print where the latest run report is and how to open it (the end of `make demo`).

Usage: ``python -m comment_etl.report`` (reads COMMENTS_BI_SNAPSHOT like the pipeline).
"""

from __future__ import annotations

import sys

from comment_etl.config import load_settings
from comment_etl.report.build import LATEST, list_reports, reports_dir


def main() -> int:
    folder = reports_dir(load_settings().bi_snapshot)
    latest = folder / LATEST
    if not latest.is_file():
        print(f"no report yet in {folder}: run the comments_report DAG after comments_daily")
        return 1
    runs = list_reports(folder)
    print("")
    print(f"Run report ({len(runs)} in {folder}):")
    print(f"  {latest}")
    print(f"  open it: xdg-open {latest}   (or file://{latest} in any browser; works offline)")
    print("  in the Airflow UI (make airflow-up): Browse > Comments report")
    return 0


if __name__ == "__main__":
    sys.exit(main())

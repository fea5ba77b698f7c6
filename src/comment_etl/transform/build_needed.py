"""Whether a run must rebuild the marts, so a run with nothing new skips dbt (~30 s of start-up
and tests) instead of rebuilding every mart from unchanged tables.

The marts are a function of the staging tables and the dbt project. They need a build when the
run loaded or failed a file (staging changed), when the project differs from the one of the
last successful build (a model, macro, seed or setting was edited), or when the warehouse has
no marts yet (a new or replaced warehouse file).

The marts are incremental (each build recomputes only the keys its new loads touch), so the
same three project/warehouse reasons also decide whether a build must be a `--full-refresh`:
rows an older project computed (other seeds, other rules) are not recomputed by a build that
only touches the new loads' keys.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import duckdb

from comment_etl.warehouse.connect import connect, exists
from comment_etl.warehouse.target import Warehouse

#: Written to the dbt target folder after a successful build.
FINGERPRINT_FILE = "built_project.sha256"
_PROJECT_FILES = ("*.sql", "*.yml", "*.yaml", "*.csv", "*.md")


def project_fingerprint(project_dir: str | Path) -> str:
    """sha256 over the dbt project's source files (paths and bytes), not its target folder."""
    root = Path(project_dir)
    digest = hashlib.sha256()
    files = {path for pattern in _PROJECT_FILES for path in root.rglob(pattern)}
    for path in sorted(files):
        relative = path.relative_to(root)
        if relative.parts[0] in ("target", "logs", "dbt_packages"):
            continue
        digest.update(str(relative).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _has_marts(warehouse: Warehouse) -> bool:
    if not exists(warehouse):
        return False
    try:
        with connect(warehouse, read_only=True) as con:
            found = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'marts'"
                " and table_catalog = current_database()"
            ).fetchone()
    except duckdb.Error:
        return False
    return bool(found and found[0])


def reasons_to_rebuild_whole(
    project_dir: str | Path, target_dir: str | Path, warehouse: Warehouse
) -> list[str]:
    """Why the next build must rebuild every model from scratch (`dbt build --full-refresh`)
    instead of recomputing what the new loads touch; empty when incremental is safe."""
    reasons = []
    recorded = Path(target_dir) / FINGERPRINT_FILE
    if not recorded.exists():
        reasons.append("no successful build recorded")
    elif recorded.read_text().strip() != project_fingerprint(project_dir):
        reasons.append("the dbt project changed since the last build")
    if not _has_marts(warehouse):
        reasons.append("the warehouse has no marts")
    return reasons


def reasons_to_build(
    load_summary: dict[str, Any] | None,
    project_dir: str | Path,
    target_dir: str | Path,
    warehouse: Warehouse,
) -> list[str]:
    """Why the marts must be built now; empty when they are up to date."""
    reasons = []
    summary = load_summary or {}
    if summary.get("files_loaded") or summary.get("files_failed"):
        reasons.append(
            f"{summary.get('files_loaded', 0)} file(s) loaded, "
            f"{summary.get('files_failed', 0)} failed"
        )
    return reasons + reasons_to_rebuild_whole(project_dir, target_dir, warehouse)


def record_build(project_dir: str | Path, target_dir: str | Path) -> None:
    """Remember the project a successful build used."""
    target = Path(target_dir)
    target.mkdir(parents=True, exist_ok=True)
    (target / FINGERPRINT_FILE).write_text(project_fingerprint(project_dir) + "\n")

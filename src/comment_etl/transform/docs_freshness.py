"""`dbt source freshness` and `dbt docs generate`, read-only against the published data.

Both only read: in file mode they run with the profile's `snapshot` target (dbt/profiles.yml:
the snapshot path, DuckDB `access_mode: READ_ONLY`), so they never take the warehouse's one
writer slot and never block a BI tool that has the snapshot open. The snapshot is a checkpointed
copy of the whole warehouse (raw `staging` tables included), so the sources' `loaded_at` columns
are there. In lake mode they run with the `lake_snapshot` target: the lake attached read-only at
its published snapshot (`comment_etl.bi.published_source`), which holds staging too, while the
pipeline may be writing the next one.

Each runs in its own dbt target folder (not the writer's): two dbt processes must not share
partial-parse state.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from comment_etl.transform.dbt_build import dbt_executable, dbt_subprocess_env, profile_target
from comment_etl.warehouse.target import Lake, Warehouse, as_warehouse

log = logging.getLogger(__name__)

#: Worst first: the overall freshness status is the worst of the sources'.
_SEVERITY = ["runtime error", "error", "warn", "pass"]


def _target(source: Warehouse) -> tuple[str, dict[str, str]]:
    """The read-only dbt target for `source` and the environment its profile reads."""
    if isinstance(source, Lake):
        if source.snapshot_version is None:  # `lake` would be the writer's target
            raise ValueError(f"{str(source)!r} is not pinned to a published snapshot")
        return profile_target(source)
    snapshot = str(Path(source).resolve())
    # The `local` target needs COMMENTS_WAREHOUSE set to parse the profile; nothing opens it.
    return "snapshot", {
        "COMMENTS_BI_SNAPSHOT": snapshot,
        "COMMENTS_WAREHOUSE": os.environ.get("COMMENTS_WAREHOUSE", snapshot),
    }


def _run(
    args: list[str], project_dir: Path, source: Warehouse, target_dir: Path
) -> tuple[int, str]:
    target_dir.mkdir(parents=True, exist_ok=True)
    target, target_env = _target(source)
    env = dbt_subprocess_env(target_dir, **target_env)
    command = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target",
        target,
    ]
    log.info("running: %s", " ".join(command))
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        log.info("dbt | %s", line)
    for line in proc.stderr.splitlines():
        log.warning("dbt | %s", line)
    return proc.returncode, proc.stdout + proc.stderr


def source_freshness(
    project_dir: str | Path, source: Warehouse | str, target_dir: str | Path
) -> dict[str, Any]:
    """Run `dbt source freshness` on the published data (the snapshot file, or the lake pinned
    to its published snapshot); a dict for the report (never raises on stale).

    ``{"status": "pass"|"warn"|"error"|"runtime error", "sources": [{"source", "status",
    "max_loaded_at", "age_hours"}], "error": str | None}``. A stale source is information for the
    report, not a failure of the report; a dbt that cannot run at all is logged as an error
    and reported as ``runtime error``.
    """
    project_dir, target_dir = Path(project_dir), Path(target_dir)
    output = target_dir / "target" / "sources.json"
    output.unlink(missing_ok=True)
    code, text = _run(
        ["source", "freshness", "--output", str(output)],
        project_dir,
        as_warehouse(source),
        target_dir,
    )
    if not output.exists():
        tail = " | ".join(text.strip().splitlines()[-3:])
        log.error("dbt source freshness produced no result (exit %s): %s", code, tail)
        return {"status": "runtime error", "sources": [], "error": tail[-500:]}
    results = json.loads(output.read_text()).get("results", [])
    sources = []
    for result in results:
        age = result.get("max_loaded_at_time_ago_in_s")
        sources.append(
            {
                "source": str(result.get("unique_id", "")).removeprefix(
                    "source.comments_warehouse."
                ),
                "status": result.get("status"),
                "max_loaded_at": result.get("max_loaded_at"),
                "age_hours": round(age / 3600, 2) if isinstance(age, int | float) else None,
                "error": result.get("error"),
            }
        )
    statuses = {s["status"] for s in sources}
    overall = next((s for s in _SEVERITY if s in statuses), "pass" if sources else "no sources")
    errors = [f"{s['source']}: {s['error']}" for s in sources if s.get("error")]
    log.info("source freshness %s: %s", overall, {s["source"]: s["status"] for s in sources})
    return {"status": overall, "sources": sources, "error": "; ".join(errors) or None}


def generate_docs(
    project_dir: str | Path, source: Warehouse | str, target_dir: str | Path, out_file: str | Path
) -> Path:
    """`dbt docs generate --static` on the published data (snapshot file or pinned lake); the
    one-file site copied to `out_file`.

    Raises RuntimeError naming dbt's last lines when generation fails.
    """
    project_dir, target_dir = Path(project_dir), Path(target_dir)
    out_file = Path(out_file)
    code, text = _run(
        ["docs", "generate", "--static"], project_dir, as_warehouse(source), target_dir
    )
    static = target_dir / "target" / "static_index.html"
    if code != 0 or not static.exists():
        tail = " | ".join(text.strip().splitlines()[-5:])
        raise RuntimeError(f"dbt docs generate failed (exit {code}): {tail}")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    temp = out_file.with_name(f".{out_file.name}.tmp")
    shutil.copyfile(static, temp)
    os.replace(temp, out_file)
    log.info("dbt docs written: %r", str(out_file))
    return out_file

"""The daily pipeline's steps as plain functions, so the DAG file only wires them.

Every step takes the `Settings` and JSON-able inputs and returns JSON-able outputs (they travel
as XComs). Each is usable and tested without a scheduler.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

from comment_etl.config import Settings
from comment_etl.landing.discover import Candidate, new_candidates, scan_landing
from comment_etl.parse.parse_file import parse_file
from comment_etl.records import Manifest
from comment_etl.transform.build_needed import (
    reasons_to_build,
    reasons_to_rebuild_whole,
    record_build,
)
from comment_etl.transform.dbt_build import run_dbt_build
from comment_etl.warehouse.connect import connect, known_sha256, ledger_fingerprint
from comment_etl.warehouse.load import LoadSummary, cleanup_outputs, load_run
from comment_etl.warehouse.publish import bi_source, publish_snapshot
from comment_etl.warehouse.schema import ensure_schema

log = logging.getLogger(__name__)


def safe_key(text: str) -> str:
    """A run id or file name made safe for a folder name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:120]


def fetch_sources(settings: Settings) -> dict[str, Any]:
    """Run the configured scrapers into the landing folder (nothing configured: nothing done).

    Scraper problems are results, not exceptions: a disabled or missing video, a refused URL or
    an exhausted quota is reported (and alerted) while the files already on disk still load.
    """
    settings.ensure_dirs()
    results: dict[str, Any] = {"youtube": [], "dumps": []}
    if settings.youtube_video_ids:
        from comment_etl.sources.youtube_api import api_key_from_connection, scrape_videos

        videos = scrape_videos(
            settings.youtube_video_ids,
            settings.landing_dir,
            api_key_from_connection(settings.youtube_conn_id),
            base_url=settings.youtube_api_url,
        )
        results["youtube"] = [video.to_dict() for video in videos]
    if settings.dump_urls:
        from comment_etl.sources.http_dump import download_dumps

        dumps = download_dumps(
            settings.dump_urls, settings.landing_dir, max_bytes=settings.dump_max_bytes
        )
        results["dumps"] = [dump.to_dict() for dump in dumps]
    return results


def source_findings(results: dict[str, Any] | None) -> list[str]:
    """Scraper outcomes a data engineer should see."""
    lines = []
    for video in (results or {}).get("youtube", []):
        if video.get("status") != "ok":
            lines.append(
                f"YouTube video {video.get('video_id')}: {video.get('status')}: "
                f"{video.get('message') or ''}".rstrip(": ")
            )
    for dump in (results or {}).get("dumps", []):
        if dump.get("status") == "failed":
            lines.append(f"dump URL {dump.get('url')}: failed: {dump.get('message')}")
    return lines


def discover(settings: Settings, run_day: date | None = None) -> list[dict[str, Any]]:
    """New files in the landing folder (by sha256 against the ledger), up to the run's day."""
    settings.ensure_dirs()
    if settings.lake:
        # Created here, once: the parse tasks that stage their files in parallel then only
        # append (concurrent DDL on one catalog would conflict).
        with connect(settings.lake) as con:
            ensure_schema(con)
    known = known_sha256(settings.warehouse)
    candidates = scan_landing(
        settings.landing_dir, settings.landing_quiet_seconds, up_to_day=run_day
    )
    fresh = new_candidates(candidates, known)
    log.info(
        "landing folder %r (day %s): %d dump files, %d new",
        str(settings.landing_dir),
        run_day.isoformat() if run_day else "any",
        len(candidates),
        len(fresh),
    )
    for candidate in fresh:
        log.info(
            "new: %r (%d bytes, sha256 %s)",
            candidate.source_file,
            candidate.size_bytes,
            candidate.sha256[:12],
        )
    return [candidate.to_dict() for candidate in fresh]


def parse(settings: Settings, candidate: dict[str, Any], run_key: str) -> dict[str, Any]:
    """Parse one candidate file to Parquet; bad input yields a `failed` manifest, not an error.

    An environmental error (disk full, I/O error) raises: the task is retried and the file is not
    recorded. A file that changed since discovery yields a `skipped` manifest (not recorded).

    In lake mode with a catalog server (Postgres, SQLite) the task also stages its file (one
    transaction with its ledger row), in parallel with the other parse tasks: the lake takes
    concurrent appends, a file never waits for the others, and `load` only counts what the
    parse tasks staged.
    """
    item = Candidate(**candidate)
    if item.invalid_reason:
        log.error("FILE FAILED %r: %s", item.source_file, item.invalid_reason)
        return Manifest(
            source_file=item.source_file,
            path=item.path,
            sha256=item.sha256,
            size_bytes=item.size_bytes,
            status="failed",
            error=item.invalid_reason,
            modified_at=item.modified_at,
        ).to_dict()
    output_dir = settings.work_dir / safe_key(run_key) / item.sha256[:24]
    hints = {"csv_mapping": settings.csv_mapping} if settings.csv_mapping else {}
    manifest = parse_file(
        item.path,
        item.source_file,
        item.sha256,
        item.size_bytes,
        output_dir,
        batch_rows=settings.parse_batch_rows,
        detector=settings.language_detector,
        hints=hints,
        language_cache=bi_source(settings.warehouse, settings.bi_snapshot),
        language_workers=settings.language_workers or None,
        max_record_bytes=settings.max_record_bytes,
        max_document_bytes=settings.max_document_bytes,
        max_decompression_ratio=settings.max_decompression_ratio,
        verify_bytes=True,
    )
    manifest.modified_at = item.modified_at
    if settings.lake and settings.lake.concurrent_writers:
        manifest.staged = load_run(settings.lake, [manifest], run_key).to_dict()
        cleanup_outputs([manifest])
    return manifest.to_dict()


def load(settings: Settings, manifests: list[dict[str, Any]], load_id: str) -> dict[str, Any]:
    """Load every parsed file of the run in one transaction, then drop the Parquet files.

    Files a parse task already staged (lake mode) are only counted in the summary. In file
    mode `load_run` runs even with no file: it creates the staging schema that dbt reads (a
    first run with nothing to load must still build empty marts); in lake mode `discover` did.
    """
    parsed = [Manifest.from_dict(m) for m in manifests if m]
    pending = [manifest for manifest in parsed if manifest.staged is None]
    if pending or not settings.lake:
        summary = load_run(settings.warehouse, pending, load_id)
    else:
        summary = LoadSummary(load_id)
    for manifest in parsed:
        if manifest.staged is not None:
            summary.add(manifest.staged)
    cleanup_outputs(pending)
    return summary.to_dict()


def marts_are_stale(settings: Settings, load_summary: dict[str, Any] | None = None) -> bool:
    """True when the marts must be built and published now (the DAG's short-circuit).

    A run with nothing new must not spend a dbt build and emit an asset event. The marts need
    a build when this run loaded or failed a file, when the dbt project changed since the last
    successful build, when the warehouse has no marts (`transform.build_needed`), or when the
    published snapshot does not hold what staging holds (an earlier run's build or publish
    failed after its load committed).
    """
    reasons = reasons_to_build(
        load_summary, settings.dbt_project_dir, settings.dbt_target_dir, settings.warehouse
    )
    current = ledger_fingerprint(settings.warehouse)
    published = ledger_fingerprint(bi_source(settings.warehouse, settings.bi_snapshot))
    if current != published:
        reasons.append(f"staging ledger {current} is not the published one ({published})")
    if reasons:
        log.info("marts must be rebuilt: %s", "; ".join(reasons))
        return True
    log.info("nothing new since the published snapshot: skipping dbt and publish")
    return False


#: `dbt build` arguments of an incremental build (see build_marts): no unit tests, no seeds and
#: none of the data tests whose every parent is a seed (`--indirect-selection cautious` keeps a
#: test on a model that points at a seed, such as ``relationships`` to ``theme_keywords``).
#: They all depend on the project alone, which has not changed since the full refresh that
#: built and tested it; each dbt node costs ~50 ms of dbt's own time, whatever the data.
INCREMENTAL_BUILD_ARGS = [
    "--exclude-resource-type",
    "unit_test",
    "--exclude",
    "resource_type:seed",
    "--indirect-selection",
    "cautious",
]


def build_marts(settings: Settings) -> dict[str, Any]:
    """One `dbt build` of the marts; a missing project is a deployment error, said plainly.

    Incremental (only what the new loads touch) unless the project changed since the last
    successful build or the warehouse has no marts: then `--full-refresh`. An incremental build
    skips the seeds, their tests and the unit tests: they depend on the project alone, not on the
    data, and ran in the full refresh that followed the last change of the project.
    """
    if not (settings.dbt_project_dir / "dbt_project.yml").is_file():
        raise FileNotFoundError(
            f"no dbt project at {str(settings.dbt_project_dir)!r} (no dbt_project.yml): "
            "check COMMENTS_DBT_PROJECT_DIR (environment or the comments_config Variable)"
        )
    whole = reasons_to_rebuild_whole(
        settings.dbt_project_dir, settings.dbt_target_dir, settings.warehouse
    )
    if whole:
        log.info("rebuilding every model (--full-refresh): %s", "; ".join(whole))
    result = run_dbt_build(
        settings.dbt_project_dir,
        settings.warehouse,
        settings.dbt_target_dir,
        ["--full-refresh"] if whole else INCREMENTAL_BUILD_ARGS,
    )
    record_build(settings.dbt_project_dir, settings.dbt_target_dir)
    return {"counts": result.counts, "elapsed_s": result.elapsed_s, "full_refresh": bool(whole)}


def publish(settings: Settings) -> dict[str, int]:
    """Publish the marts to BI and return rows per mart (the asset event's metadata)."""
    counts = publish_snapshot(settings.warehouse, settings.bi_snapshot)
    where = settings.warehouse if settings.lake else settings.bi_snapshot
    log.info("published %r: %s", str(where), counts)
    return counts


def alert_lines(
    summary: dict[str, Any] | None,
    marts: dict[str, int] | None,
    sources: dict[str, Any] | None = None,
    task_states: dict[str, Any] | None = None,
) -> list[str]:
    """Human-readable findings of a run that a data engineer should look at.

    `task_states` (task id -> state, as Airflow reports them) names the tasks that failed; a
    skipped dbt/publish after `marts_stale` said "nothing new" is not a finding.
    """
    lines: list[str] = source_findings(sources)
    failed_tasks = sorted(
        task
        for task, state in (task_states or {}).items()
        if str(state) in ("failed", "upstream_failed")
    )
    if summary:
        for name in summary.get("failed_files", []):
            lines.append(
                f"file failed and was not loaded: {name!r} (see staging.load_ledger.error; "
                "drop a fixed version into the landing folder)"
            )
        if summary.get("rejects"):
            lines.append(
                f"{summary['rejects']} records rejected in load {summary.get('load_id')} "
                "(see staging.rejects for file, record number and reason)"
            )
    if failed_tasks:
        lines.append(
            "tasks failed in this run: "
            + ", ".join(failed_tasks)
            + " (their logs name the file and the error; fix, then clear them)"
        )
    elif marts is not None and not marts.get("fct_comments"):
        lines.append("marts.fct_comments is empty after this run")
    return lines

"""Load a run's parsed files into the staging tables in ONE transaction.

Either every file of the run lands (data, rejects and ledger rows together) or nothing does:
a crash or an error rolls the whole run back and the next attempt starts from the same state.
Files already in the ledger (a retried task after a commit) are skipped, so loading is
idempotent. Duplicate comment ids inside one file are reported in `staging.rejects`; the first
occurrence (lowest record number) is loaded.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from comment_etl.records import Manifest
from comment_etl.warehouse.connect import connect
from comment_etl.warehouse.schema import ensure_schema
from comment_etl.warehouse.target import Lake, Warehouse

log = logging.getLogger(__name__)

COMMENT_COLUMNS = (
    "platform, content_id, comment_id, parent_comment_id, author_name, author_id, text, "
    "published_at, like_count, reply_count, position, language, language_confidence, "
    "source_file, updated_at, retrieved_at, is_deleted, language_detector, record_number, raw"
)


@dataclass
class LoadSummary:
    load_id: str
    files_loaded: int = 0
    files_failed: int = 0
    files_skipped: int = 0
    comments: int = 0
    rejects: int = 0
    failed_files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)

    def add(self, other: dict[str, Any]) -> None:
        """Count in the summary of another load of the same run (a file a parse task staged)."""
        for name in ("files_loaded", "files_failed", "files_skipped", "comments", "rejects"):
            setattr(self, name, getattr(self, name) + int(other.get(name) or 0))
        self.failed_files.extend(other.get("failed_files") or [])


def _modified(manifest: Manifest) -> datetime | None:
    if manifest.modified_at is None:
        return None
    return datetime.fromtimestamp(manifest.modified_at, tz=UTC)


def _load_parsed(con, manifest: Manifest, load_id: str, now: datetime) -> tuple[int, int]:
    files = manifest.files
    con.execute(
        "insert into staging.contents (platform, content_id, title, description, url, channel, "
        "published_at, source_file, load_id, ingested_at) "
        "select platform, content_id, title, description, url, channel, published_at, "
        "source_file, $load_id, $now from read_parquet($path)",
        {"load_id": load_id, "now": now, "path": files["contents"]},
    )
    con.execute(
        "create or replace temp table _incoming as "
        "select *, row_number() over (partition by platform, content_id, comment_id "
        "order by record_number nulls last) as _copy, "
        "min(record_number) over (partition by platform, content_id, comment_id) as _first "
        "from read_parquet($path)",
        {"path": files["comments"]},
    )
    loaded = con.execute(
        f"insert into staging.comments ({COMMENT_COLUMNS}, load_id, ingested_at, "
        "source_modified_at) "
        f"select {COMMENT_COLUMNS}, $load_id, $now, $modified from _incoming where _copy = 1",
        {"load_id": load_id, "now": now, "modified": _modified(manifest)},
    ).fetchone()[0]
    duplicates = con.execute(
        "insert into staging.rejects (source_file, record_number, reason, raw_excerpt, load_id, "
        "rejected_at) select source_file, record_number, "
        "'duplicate comment_id ' || comment_id || ' in this file (first seen at record ' "
        "|| coalesce(_first::varchar, '?') || '); the first occurrence was loaded', "
        "left(text, 500), $load_id, $now from _incoming where _copy > 1",
        {"load_id": load_id, "now": now},
    ).fetchone()[0]
    rejected = con.execute(
        "insert into staging.rejects (source_file, record_number, reason, raw_excerpt, load_id, "
        "rejected_at) select source_file, record_number, reason, raw_excerpt, $load_id, $now "
        "from read_parquet($path)",
        {"load_id": load_id, "now": now, "path": files["rejects"]},
    ).fetchone()[0]
    con.execute("drop table _incoming")
    if "language_cache" in files:
        con.execute(
            "insert into staging.language_cache (detector, text_hash, language, confidence, "
            "load_id) select distinct on (n.detector, n.text_hash) n.detector, n.text_hash, "
            "n.language, n.confidence, $load_id from read_parquet($path) n "
            "anti join staging.language_cache c using (detector, text_hash)",
            {"load_id": load_id, "path": files["language_cache"]},
        )
    return int(loaded), int(rejected) + int(duplicates)


@contextlib.contextmanager
def _staging_locks(warehouse: Warehouse, manifests: list[Manifest]) -> Iterator[None]:
    """Lake mode with a Postgres catalog: hold a Postgres advisory lock per file (sha256) from
    before the load transaction begins until after it commits.

    Two attempts of the same parse task at once (a task Airflow thinks dead, still running
    while its retry starts) would otherwise both find no ledger row and both append: DuckLake
    lets two appends commit. With the lock the second waits, then begins its transaction after
    the first committed, sees the ledger row and stages nothing. Different files take different
    locks, so parse tasks still stage in parallel. The lock goes with the Postgres session, so
    a killed process never leaves it held. A SQLite catalog has no such lock (README).
    """
    conninfo = warehouse.postgres_conninfo if isinstance(warehouse, Lake) else None
    if conninfo is None:
        yield
        return
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as session:
        for sha256 in sorted({manifest.sha256 for manifest in manifests}):  # no lock cycles
            session.execute(
                "select pg_advisory_lock(hashtextextended(%s, 0))", [f"comment_etl:{sha256}"]
            )
        yield


def load_run(warehouse: Warehouse, manifests: list[Manifest], load_id: str) -> LoadSummary:
    """Load every manifest of a run; one transaction for all of them.

    In lake mode each parse task calls this for its own file, and several such transactions
    run at once: DuckLake retries an append that conflicts with another, and the ledger check
    inside the transaction keeps a retried task from staging its file twice (two attempts at
    the same moment: `_staging_locks`).
    """
    summary = LoadSummary(load_id=load_id)
    now = datetime.now(UTC)
    with connect(warehouse) as con, _staging_locks(warehouse, manifests):
        ensure_schema(con)
        con.execute("begin transaction")
        known = {r[0] for r in con.execute("select sha256 from staging.load_ledger").fetchall()}
        try:
            for manifest in manifests:
                if manifest.status == "skipped":
                    log.warning(
                        "not recorded: %r (%s); the next run loads it once it is stable",
                        manifest.source_file,
                        manifest.error,
                    )
                    summary.files_skipped += 1
                    continue
                if manifest.sha256 in known:
                    log.info("already in the ledger, skipped: %r", manifest.source_file)
                    summary.files_skipped += 1
                    continue
                known.add(manifest.sha256)
                if manifest.status == "parsed":
                    loaded, rejected = _load_parsed(con, manifest, load_id, now)
                    status, error = "loaded", None
                    summary.files_loaded += 1
                else:
                    loaded, rejected, status, error = 0, 1, "failed", manifest.error
                    con.execute(
                        "insert into staging.rejects values (?, null, ?, null, ?, ?)",
                        [manifest.source_file, f"file not loaded: {error}", load_id, now],
                    )
                    summary.files_failed += 1
                    summary.failed_files.append(manifest.source_file)
                con.execute(
                    "insert into staging.load_ledger (source_file, sha256, format, status, "
                    "rows_loaded, rows_rejected, load_id, loaded_at, error, size_bytes, "
                    "source_modified_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        manifest.source_file,
                        manifest.sha256,
                        manifest.format,
                        status,
                        loaded,
                        rejected,
                        load_id,
                        now,
                        error,
                        manifest.size_bytes,
                        _modified(manifest),
                    ],
                )
                summary.comments += loaded
                summary.rejects += rejected
                log.info(
                    "staged %r: %s, %d comments, %d rejects",
                    manifest.source_file,
                    status,
                    loaded,
                    rejected,
                )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            log.exception(
                "LOAD ROLLED BACK for run %s: nothing of this run was written. The parsed "
                "Parquet files are kept; clear the load task to retry.",
                load_id,
            )
            raise
    return summary


def cleanup_outputs(manifests: list[Manifest]) -> None:
    """Remove a run's intermediate Parquet folders once they are committed."""
    for manifest in manifests:
        if manifest.output_dir and Path(manifest.output_dir).exists():
            shutil.rmtree(manifest.output_dir, ignore_errors=True)
            with contextlib.suppress(OSError):  # the run's folder, once its last file is gone
                Path(manifest.output_dir).parent.rmdir()

"""Shared by the reliability tests: settings on temp folders, the pipeline's steps, counts."""

from __future__ import annotations

import gzip
import json
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from comment_etl import pipeline
from comment_etl.config import REPO_ROOT, Settings

DBT_PROJECT = REPO_ROOT / "dbt"


def make_settings(root: Path, **overrides: Any) -> Settings:
    """Settings with every path under `root` (fastText: quick to load, no lingua)."""
    values: dict[str, Any] = {
        "landing_dir": root / "landing",
        "warehouse": root / "warehouse" / "comments.duckdb",
        "bi_snapshot": root / "warehouse" / "comments_bi.duckdb",
        "work_dir": root / "work",
        "dbt_project_dir": DBT_PROJECT,
        "dbt_target_dir": root / "dbt_target",
        "language_detector": "fasttext",
        "language_workers": 1,
        "parse_batch_rows": 50_000,
        "alert_conn_id": "",
        "csv_mapping": "",
        "landing_quiet_seconds": 0.0,
    }
    values.update(overrides)
    settings = Settings(**values)
    settings.ensure_dirs()
    return settings


def run_steps(settings: Settings, run_key: str, build: bool = False) -> dict[str, Any]:
    """discover -> parse (each file) -> load, as the DAG wires them; optionally dbt + publish."""
    candidates = pipeline.discover(settings)
    manifests = [pipeline.parse(settings, candidate, run_key) for candidate in candidates]
    summary = pipeline.load(settings, manifests, run_key)
    if build:
        pipeline.build_marts(settings)
        pipeline.publish(settings)
    return summary


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def counts(db: Path) -> dict[str, int]:
    """Rows in the staging tables (all zero when the warehouse does not exist yet)."""
    tables = ("comments", "contents", "rejects", "load_ledger")
    if not db.exists():
        return dict.fromkeys(tables, 0)
    return {t: query(db, f"select count(*) from staging.{t}")[0][0] for t in tables}


def ledger(db: Path) -> dict[str, tuple[str, str | None]]:
    """source_file -> (status, error)."""
    return {
        row[0]: (row[1], row[2])
        for row in query(db, "select source_file, status, error from staging.load_ledger")
    }


def reddit_line(comment_id: str, body: str, score: int = 1, link: str = "t3_post1") -> bytes:
    record = {
        "id": comment_id,
        "body": body,
        "author": "user_" + comment_id,
        "created_utc": 1735689600,
        "link_id": link,
        "parent_id": link,
        "score": score,
        "subreddit": "test",
    }
    return json.dumps(record, ensure_ascii=False).encode()


def write_reddit(path: Path, n: int, prefix: str = "c", compress: bool = False) -> Path:
    """`n` valid Reddit comments with distinct ids and texts."""
    lines = [
        reddit_line(f"{prefix}{i}", f"comment number {i} about the landing {prefix}")
        for i in range(n)
    ]
    data = b"\n".join(lines) + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@contextmanager
def tmpfs(mount_point: Path, size: str):
    """A small tmpfs at `mount_point` (root only); yields False when mounting is not allowed."""
    mount_point.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    try:
        yield done.returncode == 0
    finally:
        if done.returncode == 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=False)

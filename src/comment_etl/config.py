"""One place for the pipeline's configuration.

Every setting has an environment variable and a default that works from the repository root.
Inside an Airflow task, the one JSON Airflow Variable `comments_config` (``{"COMMENTS_...":
value}``) overrides environment variables, so an operator can repoint a deployment from the UI
without redeploying: one Variable lookup per task, not one per setting. Nothing here touches the
metadata database at import time: the Variable is only read when `load_settings()` is called from
a running task. Secrets are not settings: they live in Airflow Connections (the YouTube API key,
the alert webhook URL).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from comment_etl.warehouse.target import Lake, Warehouse, parse_warehouse

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Name of the one-slot Airflow pool that serializes every DuckDB writer.
WRITER_POOL = "duckdb_writer"
#: The Airflow Variable (JSON object) whose keys override the environment inside tasks.
CONFIG_VARIABLE = "comments_config"

#: Defaults the modules that use them import from here (one definition each).
DEFAULT_ALERT_CONN_ID = "comments_alert_webhook"
DEFAULT_YOUTUBE_CONN_ID = "youtube_api"
DEFAULT_YOUTUBE_API_URL = "https://www.googleapis.com/youtube/v3"
DEFAULT_DUMP_MAX_BYTES = 64 * 1024**3  # monthly Reddit comment dumps are tens of GB
DEFAULT_MAX_RECORD_BYTES = 8 * 1024**2
DEFAULT_MAX_DOCUMENT_BYTES = 256 * 1024**2
DEFAULT_MAX_DECOMPRESSION_RATIO = 200.0

#: (env var / Airflow Variable name, default) for each setting.
DEFAULTS: dict[str, str] = {
    "COMMENTS_LANDING_DIR": "data/landing",
    # A DuckDB file, or a DuckLake catalog "ducklake:postgres:dbname=... host=..." (README
    # "Scaling out"), whose Parquet files go to COMMENTS_LAKE_DATA_PATH.
    "COMMENTS_WAREHOUSE": "data/warehouse/comments.duckdb",
    "COMMENTS_LAKE_DATA_PATH": "data/lake/",
    "COMMENTS_BI_SNAPSHOT": "data/warehouse/comments_bi.duckdb",
    "COMMENTS_WORK_DIR": "data/work",
    "COMMENTS_DBT_PROJECT_DIR": "dbt",
    "COMMENTS_DBT_TARGET_DIR": "data/dbt_target",
    # combined = fastText, with lingua where fastText is unsure (bench/language/RESULTS.md).
    "COMMENTS_LANGUAGE_DETECTOR": "combined",
    "COMMENTS_LANGUAGE_WORKERS": "0",
    "COMMENTS_PARSE_BATCH_ROWS": "50000",
    # Airflow Connection holding the alert webhook URL (missing connection = no webhook).
    "COMMENTS_ALERT_CONN_ID": DEFAULT_ALERT_CONN_ID,
    "COMMENTS_CSV_MAPPING": "",
    # Scrapers (empty = off): comma/space separated video ids and dump URLs.
    "COMMENTS_YOUTUBE_VIDEO_IDS": "",
    "COMMENTS_YOUTUBE_CONN_ID": DEFAULT_YOUTUBE_CONN_ID,
    "COMMENTS_YOUTUBE_API_URL": DEFAULT_YOUTUBE_API_URL,
    "COMMENTS_DUMP_URLS": "",
    "COMMENTS_DUMP_MAX_BYTES": str(DEFAULT_DUMP_MAX_BYTES),
    # Reliability limits (README "Guarantees").
    "COMMENTS_LANDING_QUIET_SECONDS": "2",
    "COMMENTS_MAX_RECORD_BYTES": str(DEFAULT_MAX_RECORD_BYTES),
    "COMMENTS_MAX_DOCUMENT_BYTES": str(DEFAULT_MAX_DOCUMENT_BYTES),
    "COMMENTS_MAX_DECOMPRESSION_RATIO": str(DEFAULT_MAX_DECOMPRESSION_RATIO),
}


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Warehouse
    bi_snapshot: Path
    work_dir: Path
    dbt_project_dir: Path
    dbt_target_dir: Path
    language_detector: str
    language_workers: int
    parse_batch_rows: int
    alert_conn_id: str
    csv_mapping: str
    youtube_video_ids: tuple[str, ...] = ()
    youtube_conn_id: str = DEFAULT_YOUTUBE_CONN_ID
    youtube_api_url: str = DEFAULT_YOUTUBE_API_URL
    dump_urls: tuple[str, ...] = ()
    dump_max_bytes: int = DEFAULT_DUMP_MAX_BYTES
    landing_quiet_seconds: float = 2.0
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    max_decompression_ratio: float = DEFAULT_MAX_DECOMPRESSION_RATIO

    def ensure_dirs(self) -> None:
        """Create every folder the pipeline writes to (a fresh Airflow home has none)."""
        folders = [self.landing_dir, self.bi_snapshot.parent, self.work_dir, self.dbt_target_dir]
        if isinstance(self.warehouse, Path):
            folders.append(self.warehouse.parent)
        elif "://" not in self.warehouse.data_path:
            folders.append(Path(self.warehouse.data_path))
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)

    @property
    def lake(self) -> Lake | None:
        """The DuckLake when the warehouse is one (lake mode), else None."""
        return self.warehouse if isinstance(self.warehouse, Lake) else None


def _airflow_overrides() -> dict[str, str]:
    """The `comments_config` Variable when running inside a task; {} anywhere else."""
    if os.environ.get("COMMENTS_IGNORE_AIRFLOW_VARIABLES"):
        return {}
    try:
        from airflow.sdk import Variable
    except ImportError:  # plain Python use (tests of the package, benchmarks)
        return {}
    try:
        value = Variable.get(CONFIG_VARIABLE, default=None, deserialize_json=True)
    except Exception:  # not inside a task context, or no metadata DB reachable
        return {}
    if not isinstance(value, dict):
        return {}
    unknown = sorted(set(value) - set(DEFAULTS))
    if unknown:
        raise ValueError(
            f"Airflow Variable {CONFIG_VARIABLE!r} has unknown keys {unknown}; "
            f"known keys: {sorted(DEFAULTS)}"
        )
    return {name: str(v) for name, v in value.items() if v not in (None, "")}


def _resolve(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (REPO_ROOT / path)


def load_settings(use_variables: bool = False) -> Settings:
    """Build the settings from the `comments_config` Variable (optional), env vars, defaults.

    Relative paths are resolved against the repository root, so the DAG works the same from
    `make demo`, from `airflow dags test` in any Airflow home, and from the test suite.
    """

    overrides = _airflow_overrides() if use_variables else {}

    def get(name: str) -> str:
        return overrides.get(name) or os.environ.get(name, DEFAULTS[name])

    return Settings(
        landing_dir=_resolve(get("COMMENTS_LANDING_DIR")),
        warehouse=_warehouse(get("COMMENTS_WAREHOUSE"), get("COMMENTS_LAKE_DATA_PATH")),
        bi_snapshot=_resolve(get("COMMENTS_BI_SNAPSHOT")),
        work_dir=_resolve(get("COMMENTS_WORK_DIR")),
        dbt_project_dir=_resolve(get("COMMENTS_DBT_PROJECT_DIR")),
        dbt_target_dir=_resolve(get("COMMENTS_DBT_TARGET_DIR")),
        language_detector=get("COMMENTS_LANGUAGE_DETECTOR"),
        language_workers=int(get("COMMENTS_LANGUAGE_WORKERS")),
        parse_batch_rows=int(get("COMMENTS_PARSE_BATCH_ROWS")),
        alert_conn_id=get("COMMENTS_ALERT_CONN_ID"),
        csv_mapping=get("COMMENTS_CSV_MAPPING"),
        youtube_video_ids=_split(get("COMMENTS_YOUTUBE_VIDEO_IDS")),
        youtube_conn_id=get("COMMENTS_YOUTUBE_CONN_ID"),
        youtube_api_url=get("COMMENTS_YOUTUBE_API_URL"),
        dump_urls=_split(get("COMMENTS_DUMP_URLS")),
        dump_max_bytes=int(get("COMMENTS_DUMP_MAX_BYTES")),
        landing_quiet_seconds=float(get("COMMENTS_LANDING_QUIET_SECONDS")),
        max_record_bytes=int(get("COMMENTS_MAX_RECORD_BYTES")),
        max_document_bytes=int(get("COMMENTS_MAX_DOCUMENT_BYTES")),
        max_decompression_ratio=float(get("COMMENTS_MAX_DECOMPRESSION_RATIO")),
    )


def _warehouse(value: str, data_path: str) -> Warehouse:
    target = parse_warehouse(value, data_path)
    if isinstance(target, Path):
        return _resolve(str(target))
    if "://" not in data_path:  # a local folder (object storage URLs stay as they are)
        local = str(_resolve(data_path))
        return Lake(target.catalog, local + "/" if data_path.endswith("/") else local)
    return target


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in re.split(r"[\s,]+", value) if part)

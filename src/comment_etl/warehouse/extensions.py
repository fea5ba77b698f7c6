"""DuckDB extensions without a download: DuckLake and its Postgres catalog, from wheels.

``INSTALL ducklake`` downloads the extension, which an offline worker cannot do. PyPI ships the
extension binaries as packages (``duckdb-extension-ducklake``, ``duckdb-extension-postgres``,
locked with the matching duckdb version). DuckDB loads an extension by name from its
``extension_directory`` laid out ``v<duckdb version>/<platform>/<name>.duckdb_extension``, so
that folder is seeded with links to the packaged files (the Postgres one under DuckDB's own
name, ``postgres_scanner``). Every DuckDB session of the pipeline, of dbt and of a BI tool that
points ``extension_directory`` there then autoloads them on ``ATTACH 'ducklake:...'``.

``COMMENTS_DUCKDB_EXTENSION_DIR`` moves the folder (default ``data/duckdb_extensions`` under
the repository root, like the other data folders).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import duckdb

#: (package, file in the package, name DuckDB loads it by)
PACKAGED = (
    ("duckdb_extension_ducklake", "ducklake.duckdb_extension", "ducklake"),
    ("duckdb_extension_postgres", "postgres.duckdb_extension", "postgres_scanner"),
)
DEFAULT_DIR = "data/duckdb_extensions"


class ExtensionMissing(RuntimeError):
    """A packaged DuckDB extension is not installed, or not for this duckdb version."""


def extension_directory() -> Path:
    from comment_etl.config import REPO_ROOT

    configured = Path(os.environ.get("COMMENTS_DUCKDB_EXTENSION_DIR") or DEFAULT_DIR)
    return configured if configured.is_absolute() else REPO_ROOT / configured


def _platform() -> str:
    with duckdb.connect() as con:
        row = con.execute("pragma platform").fetchone()
    return str(row[0]) if row else "linux_amd64"


def ensure_extension_directory() -> Path:
    """Seed (idempotently) and return the extension folder; raise `ExtensionMissing` if a
    packaged extension is absent (say which package to install)."""
    version = f"v{duckdb.__version__}"
    root = extension_directory()
    folder = root / version / _platform()
    folder.mkdir(parents=True, exist_ok=True)
    for package, filename, name in PACKAGED:
        try:
            module = importlib.import_module(package)
        except ImportError:
            raise ExtensionMissing(
                f"the DuckDB extension {name!r} needs the package "
                f"{package.replace('_', '-')}=={duckdb.__version__} (make venv installs it)"
            ) from None
        source = Path(module.__file__ or "").parent / "extensions" / version / filename
        if not source.is_file():
            raise ExtensionMissing(
                f"{package.replace('_', '-')} has no {filename} for duckdb {duckdb.__version__} "
                f"(looked for {str(source)!r}); install the version that matches duckdb"
            )
        link = folder / f"{name}.duckdb_extension"
        if link.is_symlink() and link.resolve() == source.resolve():
            continue
        temp = link.with_name(f".{link.name}.{os.getpid()}")
        temp.unlink(missing_ok=True)
        temp.symlink_to(source)
        os.replace(temp, link)  # atomic: a concurrent task never sees a half-made link
    return root

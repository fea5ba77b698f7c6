"""Check the regular expressions analysts edit in dbt seeds before dbt composes them.

`theme_keywords.csv` and `spam_signals.csv` hold one RE2 pattern per row; the dbt models join
them into one large regex per theme. A single broken pattern would then fail the build with
DuckDB's error about a several-KB composed regex. This check compiles every pattern alone, with
the same engine (DuckDB's RE2), and names the seed file, the line and the pattern instead.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class BadPattern:
    seed: str
    line: int
    pattern: str
    error: str

    def __str__(self) -> str:
        return (
            f"{self.seed} line {self.line}: pattern {self.pattern!r} is not a valid regex: "
            f"{self.error}"
        )


class SeedPatternError(ValueError):
    """One or more seed rows hold a pattern RE2 cannot compile."""


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def bad_patterns(seeds_dir: str | Path) -> list[BadPattern]:
    """Every row of every seed with a ``pattern`` column whose pattern does not compile."""
    found: list[BadPattern] = []
    con = duckdb.connect()
    try:
        for seed in sorted(Path(seeds_dir).glob("*.csv")):
            with open(seed, newline="", encoding="utf-8") as fh:
                reader = csv.DictReader(fh)
                if "pattern" not in (reader.fieldnames or []):
                    continue
                for row in reader:
                    pattern = row.get("pattern") or ""
                    try:
                        con.execute("select regexp_matches('', ?)", [pattern]).fetchone()
                    except duckdb.Error as exc:
                        bad = BadPattern(seed.name, reader.line_num, pattern, _first_line(exc))
                        found.append(bad)
    finally:
        con.close()
    return found


def check_seed_patterns(project_dir: str | Path) -> None:
    """Raise `SeedPatternError` naming each broken pattern (seed file, line, pattern)."""
    bad = bad_patterns(Path(project_dir) / "seeds")
    if bad:
        raise SeedPatternError(
            "invalid regex in an analyst-edited seed; fix these rows (RE2 syntax, see "
            "dbt/README.md) and clear the task: " + "; ".join(str(item) for item in bad)
        )

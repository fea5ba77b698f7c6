"""Run every benchmark: each ``bench/<name>/run.py`` in turn, in its own process.

    python bench/run_all.py                 # all of them (``make bench``)
    python bench/run_all.py parse language  # only these, in this order

Each script writes its own ``RESULTS.md`` and takes its own options (``--help``); run one alone
to change its sizes. A failing benchmark does not stop the others; the exit code says whether
any failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks() -> dict[str, Path]:
    return {script.parent.name: script for script in sorted(HERE.glob("*/run.py"))}


def main(argv: list[str] | None = None) -> int:
    found = benchmarks()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: {', '.join(found)})")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in found]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(found)}")
    failed: list[str] = []
    for name in args.names or list(found):
        script = found[name]
        print(f"=== {script.relative_to(HERE.parent)}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"=== {name}: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

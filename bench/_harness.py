"""Measuring a whole process, shared by every benchmark.

``run_measured(cmd, log_path=...)`` starts `cmd` and returns its wall time, CPU time (its own
and every child's it waited for: ``ru_utime + ru_stime`` from ``wait4``), peak RSS of the
largest single process (``ru_maxrss``, which covers waited-for children too), peak RSS of the
whole process tree (summed over ``/proc/<pid>/task/*/children``, sampled every 0.2 s: worker
pools and dbt subprocesses run at the same time) and how busy the rest of the machine was
meanwhile (other people's work on a shared machine makes wall times move; CPU seconds and ratios
move much less). ``machine()`` describes the machine for a RESULTS.md header.

Inside a measured process, ``measure_step()`` gives the same numbers for one step of it (wall,
CPU of the process and of the children it waited for, peak RSS of its process tree), and
``server_cpu_seconds(pid)`` the CPU a server outside the tree (a database) has used so far.

Linux only (``/proc``); a benchmark is a measurement, never a test.
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.2


@dataclass(frozen=True)
class ProcessRun:
    """What one measured process cost."""

    wall: float
    cpu: float
    max_rss_mb: float
    tree_rss_mb: float
    #: Cores the rest of the machine kept busy meanwhile, on average.
    others: float
    returncode: int
    timed_out: bool = False

    def rate(self, rows: int) -> float:
        return rows / self.wall if self.wall else 0.0


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants alive now."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo.extend(int(child) for child in fh.read().split())
        except OSError:
            continue
    return pids


def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def busy_seconds() -> float:
    """CPU seconds all processes on the machine have used since boot (from /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def run_measured(
    cmd: Sequence[str],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout_s: float | None = None,
) -> ProcessRun:
    """Run `cmd` to its end (stdout and stderr to `log_path`) and measure it.

    The process gets its own process group, so a timeout kills it with all its children.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    timed_out = threading.Event()
    with open(log_path, "w") as log:
        busy = busy_seconds()
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(SAMPLE_SECONDS):
                peak = max(peak, sum(rss_kb(pid) for pid in tree(proc.pid)))

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timer = threading.Timer(timeout_s, kill) if timeout_s else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if timer:
            timer.cancel()
        busy = busy_seconds() - busy
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return ProcessRun(
        wall=wall,
        cpu=cpu,
        max_rss_mb=usage.ru_maxrss / 1024,
        tree_rss_mb=max(peak, usage.ru_maxrss) / 1024,
        others=max(0.0, busy - cpu) / wall if wall else 0.0,
        returncode=proc.returncode,
        timed_out=timed_out.is_set(),
    )


@dataclass
class Step:
    """What one step inside the current process cost (filled in when its block ends)."""

    wall: float = 0.0
    cpu: float = 0.0
    #: Peak RSS of this process and its descendants during the step, sampled.
    tree_rss_mb: float = 0.0
    #: Named parts of the step timed separately (`time_part`): name -> [wall s, CPU s].
    parts: dict[str, list[float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "wall": round(self.wall, 3),
            "cpu": round(self.cpu, 3),
            "tree_rss_mb": round(self.tree_rss_mb, 1),
            "parts": {k: [round(v, 3) for v in pair] for k, pair in self.parts.items()},
        }


def _cpu_now() -> float:
    """CPU seconds of this process (all threads) and of the children it has waited for."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@contextlib.contextmanager
def measure_step() -> Iterator[Step]:
    """Measure the block as one step of this process: wall, CPU (a child's CPU counts once it
    has been waited for: a worker pool must be joined inside the step), peak tree RSS."""
    step, done, peak = Step(), threading.Event(), [0]
    me = os.getpid()

    def sample() -> None:
        while True:
            peak[0] = max(peak[0], sum(rss_kb(pid) for pid in tree(me)))
            if done.wait(SAMPLE_SECONDS):
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu, started = _cpu_now(), time.perf_counter()
    try:
        yield step
    finally:
        step.wall = time.perf_counter() - started
        step.cpu = _cpu_now() - cpu
        done.set()
        sampler.join()
        step.tree_rss_mb = peak[0] / 1024


@contextlib.contextmanager
def time_part(step: Step, name: str) -> Iterator[None]:
    """Add the block's wall and CPU (this process and waited-for children) to `step.parts`."""
    cpu, started = _cpu_now(), time.perf_counter()
    try:
        yield
    finally:
        part = step.parts.setdefault(name, [0.0, 0.0])
        part[0] += time.perf_counter() - started
        part[1] += _cpu_now() - cpu


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds a server has used so far: its own, its exited children's (reaped ones count
    in its cutime/cstime, e.g. Postgres backends) and its live descendants'."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for index, current in enumerate(tree(pid)):
        try:
            # Fields after the command (which may hold spaces): state is field 3, utime 14.
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
        total += utime + stime + (cutime + cstime if index == 0 else 0)
    return total / ticks


def machine() -> str:
    """Cores, CPU model and RAM, for a RESULTS.md header."""
    model, memory = platform.machine(), 0.0
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 1024**2
    return f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB RAM"

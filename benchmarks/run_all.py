"""Run every ledger benchmark and print one combined table, headed by a machine line.

The benchmarks: write latency against a bare pygit2 commit (bench_write), warm `bd` read
processes (bench_read), many concurrent writers (bench_concurrency) and a cold cache rebuild
(bench_cache), molecules (bench_molecules: cooking the fixture formulas, pouring the
largest, `gt prime` and step done on it), the reactor's commit-to-nudge latency with live
tmux agents, idle CPU and memory (bench_reactor), the merge queue's gate runs by batch size
(bench_refinery), clones converging through a remote (bench_sync), and in a seeded town
`gt status` (bench_status) and the dashboard's first paint and commit-to-page latency
(bench_dashboard). They share the populated ledgers of one run.
`--quick` uses small sizes for a smoke run; `--sizes` overrides every benchmark's ledger sizes.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time

import bench_cache
import bench_concurrency
import bench_dashboard
import bench_molecules
import bench_reactor
import bench_read
import bench_refinery
import bench_status
import bench_sync
import bench_write
import pygit2
from common import Fixtures, Row, arguments, fs_type, print_table

BENCHMARKS = (bench_write, bench_read, bench_cache, bench_concurrency, bench_molecules,
              bench_reactor, bench_refinery, bench_sync, bench_status, bench_dashboard)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_line(fixtures: Fixtures) -> str:
    git_version = subprocess.run(["git", "--version"], capture_output=True, text=True,
                                 check=False).stdout.strip().removeprefix("git version ")
    storage = f"scratch on {fs_type(fixtures.disk)}"
    storage += f", tmpfs runs on {fs_type(fixtures.tmpfs)}" if fixtures.tmpfs else ", no tmpfs"
    return (f"machine: {cpu_model()}, {platform.machine()}, {cores()} cores | "
            f"Python {platform.python_version()} | git {git_version} | "
            f"pygit2 {pygit2.__version__} (libgit2 {pygit2.LIBGIT2_VERSION}) | {storage}")


def cores() -> int:
    """CPUs this process may run on (all of them where affinity is unknown)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def main(argv: list[str]) -> None:
    args = arguments(__doc__, argv)
    started = time.perf_counter()
    rows: list[Row] = []
    with Fixtures() as fixtures:
        print(machine_line(fixtures), flush=True)
        for bench in BENCHMARKS:
            name = bench.__name__
            print(f"running {name} ...", file=sys.stderr, flush=True)
            began = time.perf_counter()
            rows += bench.run(args, fixtures)
            print(f"  {name} took {time.perf_counter() - began:.0f} s", file=sys.stderr,
                  flush=True)
        print_table(fixtures.setup_rows() + rows, "all benchmarks")
    failed = [row.case for row in rows if row.ok is False]
    print(f"\n{sum(row.ok is True for row in rows)} targets met, {len(failed)} missed"
          + (f": {'; '.join(failed)}" if failed else "")
          + f" | total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])

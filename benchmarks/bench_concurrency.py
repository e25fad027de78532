"""Many writer processes on one ledger: throughput, retries, lost writes and write latency.

Flat out: 50 processes each create beads in a loop for a fixed time, against one process
doing the same in the same run; the two alternate for a few rounds so machine noise hits
both alike. Reported: median total commits per second, compare-and-swap retries
(`Written.attempts - 1` summed over writes), and a check that nothing was lost (new beads ==
new commits on the ref == creates the writers saw succeed), plus how long the ledger lock is
held per commit, how busy it is and the CPU spent per commit, to tell where time goes.
Target: 50 writers together >= 0.9x one writer's rate.

Agent-like pace: 50 processes each write twice a second (alternately a create and an update
of the bead just created) for about 10 s; p50 and p99 latency of one write, against the
single flat-out writer's latencies, with the p99 wait for the lock. Target: p99 <= 100 ms.

The writers (`concurrency_worker.py`) start once, open the ledger and warm their cache
before any phase begins, so start-up is never timed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygit2
from common import (
    Fixtures,
    Row,
    arguments,
    git,
    median,
    percentile,
    pick_sizes,
    populate,
    print_table,
    size_label,
)
from concurrency_worker import PACE_HZ

from beads import gitdir

WRITERS = 50
RATE_TARGET = 0.9
P99_TARGET_MS = 100.0
WORKER = Path(__file__).with_name("concurrency_worker.py")


@dataclass
class Outcome:
    """What a group of writers did together in one phase."""

    results: list[dict[str, Any]]
    new_commits: int
    new_beads: int

    def total(self, key: str) -> float:
        return sum(r[key] for r in self.results)

    def all_ms(self, key: str) -> list[float]:
        return [x * 1000 for r in self.results for x in r[key]]

    @property
    def seconds(self) -> float:
        return max(r["end"] for r in self.results) - min(r["start"] for r in self.results)

    @property
    def rate(self) -> float:
        return self.total("commits") / self.seconds

    @property
    def lost(self) -> int:
        """Writes the writers saw succeed that the ledger does not show, or the other way."""
        return int(abs(self.total("commits") - self.new_commits)
                   + abs(self.total("creates") - self.new_beads))


def count_beads(repo: pygit2.Repository) -> int:
    issues = repo.references[gitdir.BEADS_REF].peel(pygit2.Commit).tree / "issues"
    return sum(len(repo[shard.id]) for shard in issues)


class Writers:
    """Writer processes on one ledger, started once and then driven phase by phase."""

    def __init__(self, path: Path, count: int) -> None:
        self.path = path
        self.procs = [subprocess.Popen([sys.executable, str(WORKER), str(path), f"writer-{n}"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       text=True) for n in range(count)]
        for proc in self.procs:
            if self._line(proc) != "ready":
                raise RuntimeError("a writer failed to start")

    def __enter__(self) -> Writers:
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            proc.communicate()

    @staticmethod
    def _line(proc: subprocess.Popen[str]) -> str:
        assert proc.stdout is not None
        return proc.stdout.readline().strip()

    def phase(self, count: int, mode: str, seconds: float) -> Outcome:
        repo = pygit2.Repository(str(self.path / ".git"))
        tip, beads = str(repo.references[gitdir.BEADS_REF].target), count_beads(repo)
        active = self.procs[:count]
        for proc in active:
            assert proc.stdin is not None
            proc.stdin.write(f"{mode} {seconds}\n")
            proc.stdin.flush()
        results = [json.loads(self._line(proc) or "null") for proc in active]
        if None in results:
            raise RuntimeError("a writer failed")
        repo = pygit2.Repository(str(self.path / ".git"))
        return Outcome(results, int(git(self.path, "rev-list", "--count", f"{tip}..beads")),
                       count_beads(repo) - beads)


def run(args: argparse.Namespace, fixtures: Fixtures) -> list[Row]:
    sizes = pick_sizes(args, [1000], [1000])
    rounds, flat_s, paced_s = (2, 2.0, 5.0) if args.quick else (3, 5.0, 10.0)
    rows: list[Row] = []
    for size in sizes:
        path = fixtures.scratch()
        populate(path, size)
        with Writers(path, WRITERS) as writers:
            ones, manys = [], []
            for _ in range(rounds):
                ones.append(writers.phase(1, "flat", flat_s))
                manys.append(writers.phase(WRITERS, "flat", flat_s))
            paced = writers.phase(WRITERS, "paced", paced_s)
        rows += flat_rows(ones, manys, f"@{size_label(size)}")
        rows += paced_rows(paced, ones, f"@{size_label(size)}")
    return rows


def flat_rows(ones: list[Outcome], manys: list[Outcome], tag: str) -> list[Row]:
    one, many = median(o.rate for o in ones), median(o.rate for o in manys)
    lost = sum(o.lost for o in ones + manys)
    name = f"{WRITERS} writers flat out"

    def per_commit(outcomes: list[Outcome], key: str) -> float:
        return median(o.total(key) * 1000 / o.total("commits") for o in outcomes)

    def busy(outcomes: list[Outcome]) -> float:
        return median(sum(o.all_ms("holds")) / 10 / o.seconds for o in outcomes)

    return [
        Row("concurrency", f"1 writer flat out {tag}", one, "commits/s"),
        Row("concurrency", f"{name} {tag}", many, "commits/s", one, "1 writer",
            f">= {RATE_TARGET}x", many >= RATE_TARGET * one),
        Row("concurrency", f"{name}: retries {tag}", sum(o.total("retries") for o in manys),
            "", sum(o.total("retries") for o in ones), "1 writer"),
        Row("concurrency", f"{name}: lost writes {tag}", lost, "", target="0", ok=lost == 0),
        Row("concurrency", f"{name}: lock held per commit {tag}",
            median(x for o in manys for x in o.all_ms("holds")), "ms",
            median(x for o in ones for x in o.all_ms("holds")), "1 writer"),
        Row("concurrency", f"{name}: lock busy {tag}", busy(manys), "%", busy(ones), "1 writer"),
        Row("concurrency", f"{name}: CPU per commit {tag}", per_commit(manys, "cpu"), "ms",
            per_commit(ones, "cpu"), "1 writer"),
    ]


def paced_rows(paced: Outcome, ones: list[Outcome], tag: str) -> list[Row]:
    name = f"{WRITERS} writers @{PACE_HZ:g}/s"
    latencies = paced.all_ms("latencies")
    single = [x for o in ones for x in o.all_ms("latencies")]
    rows = []
    for pct in (50, 99):
        value = percentile(latencies, pct)
        last = pct == 99
        rows.append(Row("concurrency", f"{name}: p{pct} write {tag}", value, "ms",
                        percentile(single, pct), "1 writer flat out",
                        f"<= {P99_TARGET_MS:.0f} ms" if last else "",
                        value <= P99_TARGET_MS if last else None))
    rows += [
        Row("concurrency", f"{name}: p99 lock wait {tag}",
            percentile(paced.all_ms("waits"), 99), "ms"),
        Row("concurrency", f"{name}: writes/s {tag}", paced.rate, "",
            target=f"{WRITERS * PACE_HZ:g} offered"),
        Row("concurrency", f"{name}: retries {tag}", paced.total("retries"), ""),
        Row("concurrency", f"{name}: lost writes {tag}", paced.lost, "", target="0",
            ok=paced.lost == 0),
    ]
    return rows


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__, argv)
    with Fixtures() as fixtures:
        print_table(run(args, fixtures), "concurrent writers")


if __name__ == "__main__":
    main(sys.argv[1:])

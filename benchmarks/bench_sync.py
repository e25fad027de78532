"""Syncing ledgers: three clones converging through a bare remote, and the cost of a merge.

Three clones each record 200 events without syncing, then run `bd sync` in turn until all
three hold the same tree: the time to converge (target: 2 s or less). Then the merge of two
sides of a 100k-bead ledger with 1,000 divergent events each (reported, no target), beside a
plain commit of the same ledger as the baseline. Last, what a validating remote's pre-receive
check costs for a 10-commit push onto that ledger (only the pushed commits are checked),
beside a full `bd verify` of the same tip as the baseline.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import pygit2
from common import Fixtures, Row, arguments, git, median, print_table

from beads import Ledger
from beads.ledger import NewBead
from beads.sync import merged_tree, sync
from beads.verify import verify, verify_new

CONVERGE_TARGET_S = 2.0


def clone_of(remote: Path, path: Path) -> Path:
    git(path.parent, "clone", "-q", str(remote), str(path))
    git(path, "update-ref", "refs/heads/beads", "refs/remotes/origin/beads")
    return path


def record_events(ledger: Ledger, count: int, shared: list[str]) -> None:
    """`count` events: creates, and updates of beads every clone has."""
    own = [b["id"] for b in ledger.create_many([NewBead(title=f"{ledger.actor} {n}")
                                                for n in range(count // 4)])]
    for n in range(count - count // 4 - 1):
        target = shared[n % len(shared)] if n % 2 else own[n % len(own)]
        ledger.update(target, {"notes": f"{ledger.actor} note {n}"})


def converge(base: Path, events: int) -> tuple[float, int]:
    """Seconds for three diverged clones to agree, and the number of bd sync runs."""
    seed = base / "seed"
    seed.mkdir(parents=True)
    git(seed, "init", "-q", "-b", "main")
    git(seed, "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-q", "--allow-empty",
        "-m", "initial")
    shared = [b["id"] for b in Ledger.init(seed, "bd", actor="seed").create_many(
        [NewBead(title=f"shared {n}") for n in range(20)])]
    remote = base / "remote.git"
    git(base, "clone", "-q", "--bare", str(seed), str(remote))
    git(seed, "push", "-q", str(remote), "beads")
    clones = [clone_of(remote, base / name) for name in ("one", "two", "three")]
    ledgers = [Ledger(path, actor=name) for path, name in zip(clones, ("one", "two", "three"),
                                                              strict=True)]
    for ledger in ledgers:
        record_events(ledger, events, shared)
    started = time.perf_counter()
    runs = 0
    while True:
        for ledger in ledgers:
            sync(ledger)
            runs += 1
        trees = {git(path, "rev-parse", "beads^{tree}") for path in clones}
        if len(trees) == 1:
            return time.perf_counter() - started, runs


def merge_cost(fixtures: Fixtures, size: int, divergent: int) -> tuple[float, float]:
    """Median seconds of one merge of two sides with `divergent` events each, and of one
    plain commit on the same ledger (the baseline)."""
    source = fixtures.ledger(size)
    work = fixtures.scratch()
    shutil.copytree(source, work)
    side_a = Ledger(work, actor="a")
    ids = [b["id"] for b in side_a.list(limit=divergent * 2)]
    base_tip = side_a.store.tip()
    for n in range(divergent):
        side_a.update(ids[n], {"notes": f"a {n}"})
    a_tip = side_a.store.tip()
    side_a.store.advance(a_tip, base_tip)
    side_b = Ledger(work, actor="b")
    for n in range(divergent):
        side_b.update(ids[n + divergent // 2], {"notes": f"b {n}"})
    b_tip = side_b.store.tip()
    repo = pygit2.Repository(str(work))
    merges = []
    for _round in range(5):
        started = time.perf_counter()
        merged_tree(repo, a_tip, b_tip)
        merges.append(time.perf_counter() - started)
    commits = []
    for n in range(5):
        started = time.perf_counter()
        side_b.update(ids[n], {"title": f"plain {n}"})
        commits.append(time.perf_counter() - started)
    return median(merges), median(commits)


def push_check_cost(fixtures: Fixtures, size: int, pushed: int = 10) -> tuple[float, float]:
    """Median seconds of the remote's check of a `pushed`-commit push, and seconds of a
    full verify of the same tip (the baseline)."""
    work = fixtures.scratch()
    shutil.copytree(fixtures.ledger(size), work)
    ledger = Ledger(work, actor="pusher")
    ids = [b["id"] for b in ledger.list(limit=pushed)]
    old = ledger.store.tip()
    for n in range(pushed):
        ledger.update(ids[n], {"notes": f"pushed {n}"})
    new = ledger.store.tip()
    repo = pygit2.Repository(str(work))
    checks = []
    for _round in range(5):
        started = time.perf_counter()
        assert verify_new(repo, old, new).ok
        checks.append(time.perf_counter() - started)
    started = time.perf_counter()
    assert verify(repo, tip=new).first_divergence is None
    return median(checks), time.perf_counter() - started


def run(args: argparse.Namespace, fixtures: Fixtures) -> list[Row]:
    events, size, divergent = (50, 5_000, 200) if args.quick else (200, 100_000, 1_000)
    base = fixtures.scratch()
    base.mkdir(parents=True)
    seconds, runs = converge(base, events)
    merge_s, commit_s = merge_cost(fixtures, size, divergent)
    check_s, full_s = push_check_cost(fixtures, size)
    label = f"{size // 1000}k"
    return [
        Row("sync", f"3 clones x {events} events: time to converge ({runs} bd sync runs)",
            seconds, "s", None, "", f"<= {CONVERGE_TARGET_S:g} s", seconds <= CONVERGE_TARGET_S),
        Row("sync", f"merge @{label}, {divergent} divergent events per side", merge_s * 1000,
            "ms", commit_s * 1000, "one commit"),
        Row("sync", f"remote check of a 10-commit push @{label}", check_s * 1000, "ms",
            full_s * 1000, "full verify"),
    ]


def main(argv: list[str] | None = None) -> None:
    from run_all import machine_line

    args = arguments(__doc__, argv)
    with Fixtures() as fixtures:
        print(machine_line(fixtures), flush=True)
        rows = run(args, fixtures)
        print_table(fixtures.setup_rows() + rows, "sync: converging clones, merge cost")


if __name__ == "__main__":
    main(sys.argv[1:])

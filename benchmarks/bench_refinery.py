"""The merge queue: gate runs and wall time to drain 100 requests, by batch size.

5% of the requests fail their gate, a real unittest run costing about 0.2 s. Each batch
size drains its own copy of the same queue; one-at-a-time (batch size 1) is the baseline in
the same run. Target: batches of 8 need at most 0.3x the gate runs, and every batch size
lands exactly the set one-at-a-time lands.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import pygit2
from common import Fixtures, Row, arguments, print_table

from beads.model import now_iso
from gt.refinery.engine import Refinery
from gt.refinery.run import drain
from gt.rig import Rig
from gt.setup import rig as rig_setup
from gt.setup import town as town_setup

GATE_TEST = '''import pathlib
import unittest


class QueueTest(unittest.TestCase):
    def test_no_bad_request(self):
        for path in pathlib.Path(".").glob("req*.txt"):
            self.assertNotIn("BAD", path.read_text())

    def test_some_real_work(self):
        self.assertGreater(sum(i * i for i in range(2_400_000)), 0)
'''
RATIO_TARGET = 0.3
FAILING_SHARE = 20  # one request in twenty fails its gate


def make_project(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "test_queue.py").write_text(GATE_TEST)
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=bench", "-c", "user.email=bench@example.com",
                  "commit", "-q", "-m", "initial"]):
        subprocess.run(["git", *argv], cwd=path, check=True, capture_output=True)
    return path


def queue(rig: Rig, count: int) -> dict[str, int]:
    """`count` requests, each adding one file on top of main; bead id -> request number."""
    repo = pygit2.Repository(str(rig.repo))
    main = repo.revparse_single("main")
    author = pygit2.Signature("worker", "worker@example.com")
    ledger = rig.ledger("worker")
    numbers = {}
    for n in range(count):
        bad = n % FAILING_SHARE == FAILING_SHARE // 2
        builder = repo.TreeBuilder(main.tree)
        blob = repo.create_blob(b"BAD\n" if bad else f"request {n}\n".encode())
        builder.insert(f"req{n:03d}.txt", blob, pygit2.GIT_FILEMODE_BLOB)
        commit = repo.create_commit(None, author, author, f"request {n}", builder.write(),
                                    [main.id])
        bead = ledger.create(f"request {n}")["id"]
        repo.references.create(f"refs/mr/{bead}", commit)
        ledger.update_many(f"done {bead}", {bead: {"mr_state": "pending",
                                                   "mr_requested_at": now_iso(),
                                                   "mr_commit": str(commit)}})
        numbers[bead] = n
    return numbers


def drain_with(base: Path, size: int, count: int) -> tuple[int, float, frozenset[int], float]:
    """Gate runs, wall seconds, the landed request numbers, and seconds per gate run."""
    project = make_project(base / f"src-{size}")
    town = town_setup.install(base / f"town-{size}")
    town.settings.sessions = "process"
    rig = rig_setup.add(town, "queue", str(project), prefix="qq")
    rig.settings.gates = {"test": f"{sys.executable} -m unittest -q"}
    rig.settings.batch_size = size
    numbers = queue(rig, count)
    refinery = Refinery(rig)
    started = time.perf_counter()
    drain(rig, refinery=refinery)
    wall = time.perf_counter() - started
    ledger = rig.ledger()
    landed = frozenset(numbers[b] for b in numbers if ledger.get(b).get("mr_state") == "merged")
    gate_started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "unittest", "-q"], cwd=rig.refinery_dir,
                   capture_output=True, check=False)
    return refinery.stats.gate_runs, wall, landed, time.perf_counter() - gate_started


def run(args: argparse.Namespace, fixtures: Fixtures) -> list[Row]:
    count = 24 if args.quick else 100
    base = fixtures.scratch()
    base.mkdir(parents=True)
    results = {size: drain_with(base, size, count) for size in (1, 4, 8)}
    runs_one, wall_one, landed_one, gate_cost = results[1]
    rows = [Row("refinery", "one gate run (unittest)", gate_cost * 1000, "ms")]
    for size, (runs, wall, landed, _cost) in results.items():
        same = landed == landed_one
        rows.append(Row("refinery", f"gate runs, batch {size} ({count} requests)", runs, "",
                        runs_one, "batch 1",
                        f"<= {RATIO_TARGET}x, same landed set" if size == 8 else
                        "same landed set",
                        same and (size != 8 or runs <= RATIO_TARGET * runs_one)))
        rows.append(Row("refinery", f"wall time, batch {size}", wall, "s", wall_one, "batch 1"))
    rows.append(Row("refinery", f"requests landed (of {count})", len(landed_one), ""))
    return rows


def main(argv: list[str] | None = None) -> None:
    from run_all import machine_line

    args = arguments(__doc__, argv)
    with Fixtures() as fixtures:
        print(machine_line(fixtures), flush=True)
        print_table(run(args, fixtures), "refinery: draining a queue by batch size")


if __name__ == "__main__":
    main(sys.argv[1:])

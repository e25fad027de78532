"""Chaos, bounded for CI: a tmux town of 6 scripted polecats works an 18-bead convoy while a
seeded schedule kills polecat sessions, pane processes and runtimes, hangs two agents, and
kills the reactor, the Deacon, both at once and the Refinery (`tests/chaos_helpers.py`, shared
with the long run at 30 agents, `benchmarks/bench_chaos.py`). The convoy must land with every
bead on main, no supervisor action may rest on evidence of a live, working agent, every agent
killed with work hooked must be restarted (or have finished first), every kill of the reactor
and the Deacon must be followed by a recorded restart, and nothing may be lost (recovery refs
resolve, the repositories are fsck-clean)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gt import launch
from gt.agents import Address
from gt.git import git
from gt.town import Town
from gt.work.sling import sling
from tests.chaos_helpers import ChaosRun, Plan, build_town, create_work, rig_ledger, take_down
from tests.gt_helpers import wait_for

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

# 24 s of chaos: a machinery kill every 4.5 s covers the reactor, the Deacon, both together
# and the Refinery once each, in a seeded order (with time to spare for one still coming back).
PLAN = Plan(seed=1212, polecats=6, beads=18, chaos_s=24.0, machinery_every=4.5, hangs=2,
            land_timeout_s=150.0)


@pytest.fixture
def town(tmp_path: Path) -> Iterator[Path]:
    root = build_town(tmp_path, PLAN)
    yield root
    take_down(root)


def test_a_successor_finishes_work_its_predecessor_committed(town: Path) -> None:
    """Killed between its commit and `gt done`, a polecat leaves the work committed and the
    bead hooked; its successor must hand that commit in, not give the bead back (nobody
    would sling it again, and the convoy would never land)."""
    bead = create_work(town, "proj", [0])[0]
    sling(Town(town), bead, "proj", convoy=False, start=False)
    worktree = town / "proj" / "polecats" / "nux"
    (worktree / "chaos").mkdir()
    (worktree / "chaos" / "0.txt").write_text("bead 0\n")
    git("add", "-A", cwd=worktree)
    git("commit", "-q", "-m", f"{bead}: chaos 0", cwd=worktree)
    launch.start(Town(town), Address("polecat", "proj", "nux"))
    wait_for(lambda: rig_ledger(town, "proj").get(bead).get("mr_state") == "pending",
             timeout=30, what="the successor to hand in the committed work")
    assert rig_ledger(town, "proj").get(bead)["status"] == "hooked"


@pytest.mark.slow
def test_the_convoy_lands_through_seeded_chaos(town: Path) -> None:
    chaos = ChaosRun(town, PLAN)
    chaos.run()
    problems = chaos.check()
    assert not problems, "\n".join(problems)
    numbers = chaos.numbers()
    assert {"reactor", "deacon", "reactor+deacon", "refinery"} <= set(numbers["faults"])
    assert numbers["machinery_restarts"].get("the Deacon restarted", 0) >= 2
    print("\n" + chaos.summary())

"""Chaos: a tmux town of scripted polecats works a convoy while a seeded random schedule kills
polecat sessions and runtimes, the reactor (which runs the Witness) and the Refinery. When the
chaos stops the convoy must land with every bead on main, no supervisor action may rest on
evidence of a live, working agent, every agent killed with work hooked must be restarted (or
have finished first), and nothing may be lost (recovery refs resolve, the repositories are
fsck-clean). The longer run at 30 agents is `benchmarks/bench_supervision.py`."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from beads import Ledger
from beads.creation import NewBead
from beads.errors import BeadsError
from beads.query import Filters
from gt import launch
from gt.agents import Address
from gt.git import git
from gt.reactor.lock import running_pid
from gt.town import Town
from gt.work.sling import sling
from tests.gt_helpers import gt, make_project, wait_for

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

SEED = 1212
POLECATS = 6
BEADS = 18
CHAOS_S = 24.0
REACTOR_KILL_AT = 7.0
REFINERY_KILL_AT = 14.0
LAND_TIMEOUT_S = 150.0
LIMITS = {"spawn_grace": 6, "stall_after": 30, "every": 1, "restart_backoff": 1,
          "restart_backoff_max": 4, "crash_loop_restarts": 50}
REFINERY = Address("refinery", "proj").session


@dataclass(frozen=True)
class Kill:
    at: float  # Unix time just before the signal
    session: str
    how: str
    hook: str | None  # the bead on the agent's hook just before


@pytest.fixture
def town(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "town"
    gt(tmp_path, "install", str(root))
    gt(root, "rig", "add", "proj", str(make_project(tmp_path / "src")), "--prefix", "pj")
    town = Town(root)
    for key, value in LIMITS.items():
        setattr(town.settings.supervision, key, value)
    town.save("chaos: short supervision timers")
    gt(root, "rig", "config", "proj", "max_polecats", str(POLECATS))
    yield root
    gt(root, "down", check=False)
    subprocess.run(["tmux", "-L", Town(root).socket, "kill-server"], capture_output=True)


def rig_ledger(town: Path) -> Ledger:
    return Ledger(town / "proj" / ".repo.git")


def create_work(town: Path, count: int = BEADS) -> list[str]:
    """`count` beads in one ledger commit, each writing a file of its own."""
    specs = [NewBead(title=f"chaos {n}", fields={"metadata": {"script": {
        "work_seconds": 1.5,
        "edits": [{"op": "write", "path": f"chaos/{n}.txt", "content": f"bead {n}\n"}]}}})
        for n in range(count)]
    return [bead["id"] for bead in Ledger(town / "proj" / ".repo.git", "overseer")
            .create_many(specs)]


def polecat_sessions(town: Path) -> list[str]:
    return sorted(n for n in Town(town).backend().names()
                  if n.startswith("gt-proj-") and n != REFINERY)


def hook_of(town: Path, session: str) -> str | None:
    address = Address("polecat", "proj", session.removeprefix("gt-proj-"))
    try:
        return rig_ledger(town).get(address.bead_id("pj")).get("hook_bead") or None
    except BeadsError:  # an agent bead not made yet has no hook
        return None


def kill_polecat(town: Path, rng: random.Random) -> Kill | None:
    """Kill a random live polecat: its tmux session, or SIGKILL of its pane's process."""
    sessions = polecat_sessions(town)
    if not sessions:
        return None
    session = rng.choice(sessions)
    how = rng.choice(["kill-session", "sigkill"])
    hook = hook_of(town, session)
    at = time.time()
    if how == "kill-session":
        subprocess.run(["tmux", "-L", Town(town).socket, "kill-session", "-t", f"={session}"],
                       capture_output=True)
    else:
        pane = Town(town).backend().panes().get(session)  # type: ignore[attr-defined]
        if pane is None:
            return None
        try:
            os.kill(pane.pid, signal.SIGKILL)
        except ProcessLookupError:
            return None
    return Kill(at, session, how, hook)


def run_chaos(town: Path, rng: random.Random) -> list[Kill]:
    kills: list[Kill] = []
    started = time.monotonic()
    reactor_killed = refinery_killed = False
    while (elapsed := time.monotonic() - started) < CHAOS_S:
        time.sleep(rng.uniform(1.0, 3.0))
        if not reactor_killed and elapsed >= REACTOR_KILL_AT:
            pid = running_pid(Town(town))
            if pid and pid > 0:
                kills.append(Kill(time.time(), "gt-reactor", "sigkill", None))
                os.kill(pid, signal.SIGKILL)
                reactor_killed = True
                continue
        if not refinery_killed and elapsed >= REFINERY_KILL_AT:
            kills.append(Kill(time.time(), REFINERY, "kill-session", None))
            subprocess.run(["tmux", "-L", Town(town).socket, "kill-session", "-t",
                            f"={REFINERY}"], capture_output=True)
            refinery_killed = True
            continue
        kill = kill_polecat(town, rng)
        if kill is not None:
            kills.append(kill)
    assert reactor_killed and refinery_killed
    return kills


def timestamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def supervisor_actions(ledger: Ledger) -> list[tuple[str, dict[str, Any]]]:
    """(agent, action) for every supervisor action recorded on the ledger's agent beads."""
    found = []
    for bead in ledger.list(Filters(types=["agent"]), sort="id", limit=None):
        for comment in bead.get("comments", []):
            if comment["text"].startswith("supervisor "):
                found.append((bead["title"], json.loads(comment["text"].split(": ", 1)[1])))
    return found


def rested_on_death_or_silence(action: dict[str, Any]) -> bool:
    """Whether the action's evidence shows the agent was not a live, working agent."""
    evidence, state = action["evidence"], action["state"]
    if state == "dead":
        gone = not evidence["session_live"] and not evidence["process_alive"]
        return gone or not evidence["runtime_alive"]
    if state == "stalled":
        ages = [evidence[k] for k in ("output_age", "heartbeat_age", "ledger_age", "session_age")
                if evidence.get(k) is not None]
        return all(age >= LIMITS["stall_after"] for age in ages)
    return state in ("idle", "done") and not evidence.get("hook")


def fsck_clean(git_dir: Path) -> bool:
    return subprocess.run(["git", "--git-dir", str(git_dir), "fsck", "--strict"],
                          capture_output=True).returncode == 0


def test_a_successor_finishes_work_its_predecessor_committed(town: Path) -> None:
    """Killed between its commit and `gt done`, a polecat leaves the work committed and the
    bead hooked; its successor must hand that commit in, not give the bead back (nobody
    would sling it again, and the convoy would never land)."""
    bead = create_work(town, 1)[0]
    sling(Town(town), bead, "proj", convoy=False, start=False)
    worktree = town / "proj" / "polecats" / "nux"
    (worktree / "chaos").mkdir()
    (worktree / "chaos" / "0.txt").write_text("bead 0\n")
    git("add", "-A", cwd=worktree)
    git("commit", "-q", "-m", f"{bead}: chaos 0", cwd=worktree)
    launch.start(Town(town), Address("polecat", "proj", "nux"))
    wait_for(lambda: rig_ledger(town).get(bead).get("mr_state") == "pending", timeout=30,
             what="the successor to hand in the committed work")
    assert rig_ledger(town).get(bead)["status"] == "hooked"


@pytest.mark.slow
def test_the_convoy_lands_through_seeded_chaos(town: Path) -> None:
    rng = random.Random(SEED)
    beads = create_work(town)
    convoy = json.loads(gt(town, "convoy", "create", "chaos", *beads, "--json").stdout)["id"]
    gt(town, "up")
    for bead in beads:
        sling(Town(town), bead, "proj", convoy=False)
    began = time.monotonic()
    kills = run_chaos(town, rng)
    chaos_over = time.monotonic()

    def landed() -> bool:
        return json.loads(gt(town, "convoy", "status", convoy, "--json").stdout)["status"] \
            == "closed"

    wait_for(landed, timeout=LAND_TIMEOUT_S, what="the convoy to land after the chaos")
    landed_at = time.monotonic()

    ledger = rig_ledger(town)
    repo = town / "proj" / ".repo.git"
    for n, bead in enumerate(beads):
        assert ledger.get(bead)["status"] == "closed", ledger.get(bead)
        shown = subprocess.run(["git", "--git-dir", str(repo), "show", f"main:chaos/{n}.txt"],
                               capture_output=True, text=True)
        assert shown.stdout == f"bead {n}\n", f"{bead} is not on main"

    actions = supervisor_actions(ledger)
    acting = [(who, a) for who, a in actions if a["action"] in ("restart", "nudge", "stop",
                                                                "reap", "park")]
    wrong = [(who, a) for who, a in acting if not rested_on_death_or_silence(a)]
    assert not wrong, f"actions on live, working agents: {wrong}"
    assert not [a for _, a in actions if a["action"] == "park"]

    restarts: dict[str, list[float]] = {}
    for who, action in actions:
        if action["action"] == "restart":
            restarts.setdefault(Address.parse(who).session, []).append(timestamp(action["at"]))
    unrecovered = []
    for kill in kills:
        if not kill.session.startswith("gt-proj-") or kill.session == REFINERY or not kill.hook:
            continue
        restarted = any(t >= kill.at - 1.0 for t in restarts.get(kill.session, []))
        requested = ledger.get(kill.hook).get("mr_requested_at")
        finished_first = requested is not None and timestamp(requested) <= kill.at + 1.0
        if not (restarted or finished_first):
            unrecovered.append(kill)
    assert not unrecovered, f"killed with work hooked, never restarted: {unrecovered}"

    def machinery() -> list[dict[str, Any]]:
        """The Deacon's restarts of the reactor and Refineries, as its bead records them."""
        ledger = Town(town).ledger()
        return [json.loads(c["text"].split(": ", 1)[1])
                for c in ledger.get(Address("deacon").bead_id(ledger.prefix)).get("comments", [])
                if c["text"].startswith("supervisor restart")]

    def restarted_after(detail: str, at: float) -> bool:
        return any(a["detail"] == detail and timestamp(a["at"]) >= at - 1 for a in machinery())

    # The convoy can land before the Deacon's record of a restart does: wait for the record.
    reactor_kill = next(k.at for k in kills if k.session == "gt-reactor")
    assert any(k.session == REFINERY for k in kills), "the schedule killed the Refinery"
    wait_for(lambda: restarted_after("the reactor restarted", reactor_kill), timeout=60,
             what="the Deacon's record of the reactor's restart after its kill")
    # A Refinery killed mid-drain is started again by the Deacon or, when the next request
    # lands, by the reactor (which records no restart): every bead merged to main (asserted
    # above) is what shows it came back.

    refs = subprocess.run(["git", "--git-dir", str(repo), "for-each-ref", "--format=%(refname)",
                           "refs/gt/recovery/"], capture_output=True, text=True,
                          check=True).stdout.split()
    for who, action in actions:
        ref = action["evidence"].get("recovery_ref")
        if ref:
            assert ref in refs, f"{who}: {ref} recorded but missing"
    assert fsck_clean(repo) and fsck_clean(town / ".git")

    polecat_kills = [k for k in kills if k.session not in ("gt-reactor", REFINERY)]
    print(f"\nchaos (seed {SEED}): {len(polecat_kills)} polecat kills "
          f"({sum(k.hook is not None for k in polecat_kills)} with work hooked), reactor and "
          f"Refinery killed once; {sum(len(v) for v in restarts.values())} restarts, "
          f"{sum(a['action'] == 'nudge' for _, a in actions)} nudges, {len(refs)} recovery refs; "
          f"landed {landed_at - chaos_over:.1f} s after the chaos, "
          f"{landed_at - began:.1f} s in all")

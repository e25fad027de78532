"""Drive the demo: build the town, file the work, sling ready beads, report, summarize.

The driver plays the Mayor: it files a convoy of beads and slings ready work to at most N
scripted polecats at a time. Everything else happens as it would with real agents: each
polecat runs in its own session and worktree and calls `gt done`; the Refinery session merges
the requests, rejects what fails the gate and turns conflicts into new work. A bead of the
plan that names a formula is slung with it: poured onto the bead, its steps walked by the
polecat, and shown under the bead in the final table.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beads.mol import progress, record
from beads.query import Filters
from gt.agents import Address
from gt.demo.sample import plan, write_project
from gt.errors import GtError
from gt.git import commit_all, git, out
from gt.launch import start_refinery
from gt.rig import Rig
from gt.setup import rig as rig_setup
from gt.setup import town as town_setup
from gt.town import Town
from gt.work import convoy as convoys
from gt.work.molsling import sling_formula
from gt.work.sling import sling

Say = Callable[[str], None]
BUSY_STATES = ("working", "awaiting-merge")


@dataclass
class Tracker:
    """What the driver has seen of each bead, to print each change once."""

    started: float = field(default_factory=time.monotonic)
    seen: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    slung_at: dict[str, float] = field(default_factory=dict)
    merged_at: dict[str, float] = field(default_factory=dict)
    workers: dict[str, list[str]] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)

    def stamp(self) -> str:
        return f"+{time.monotonic() - self.started:5.1f}s"


def build_town(root: Path, polecats: int, no_tmux: bool, say: Say) -> tuple[Town, Rig]:
    if root.exists() and any(root.iterdir()):
        raise GtError(f"{root} is not empty: give `gt demo --dir` a new directory")
    project = root / "calc"
    write_project(project)
    git("init", "-q", "-b", "main", str(project))
    commit_all(project, "calc: a tiny calculator")
    town = town_setup.install(root / "town", "demo")
    if no_tmux:
        town.settings.sessions = "process"
    rig = rig_setup.add(town, "calc", str(project), prefix="calc")
    rig.settings.gates = {"test": f"{sys.executable} -m unittest -q"}
    rig.settings.gate_timeouts = {"test": 60.0}
    town.save("demo: gate the calc rig on its unittest suite")
    kind = town.backend().kind
    say(f"town at {town.root}, rig calc from {project}; gate: python -m unittest; "
        f"{polecats} polecat(s) in {kind} sessions")
    return town, rig


def file_work(town: Town, rig: Rig, say: Say) -> tuple[dict[str, str], str]:
    """File the plan's beads and their convoy; returns bead id -> the formula it is slung
    with (for the beads that name one), and the convoy."""
    ledger = rig.ledger("mayor")
    ids: dict[str, str] = {}
    formulas: dict[str, str] = {}
    for item in plan():
        deps = [("blocks", ids[key]) for key in item.get("after", [])]
        bead = ledger.create(item["title"], priority=item["priority"], deps=deps,
                             metadata={"script": item["script"]},
                             description="Carry out metadata.script (scripted runtime).")
        ids[item["key"]] = bead["id"]
        if item.get("formula"):
            formulas[bead["id"]] = item["formula"]
    convoy = convoys.create(town, "Calculator operations", list(ids.values()),
                            owner="overseer", actor="mayor")
    say(f"filed {len(ids)} beads in convoy {convoy['id']}")
    return formulas, convoy["id"]


def _busy(rig: Rig) -> int:
    agents = rig.ledger().list(Filters(types=["agent"]), limit=None)
    return sum(1 for a in agents if a.get("role") == "polecat"
               and (a.get("agent_state") in BUSY_STATES or a.get("hook_bead")))


def _report_changes(rig: Rig, tracker: Tracker, say: Say) -> None:
    for bead in rig.ledger().list(Filters(), limit=None):
        if bead.get("issue_type") == "agent" or record.step_of(bead) is not None:
            continue
        state = (bead["status"], bead.get("mr_state"), bead.get("assignee"))
        if tracker.seen.get(bead["id"]) == state:
            continue
        previous = tracker.seen.get(bead["id"])
        tracker.seen[bead["id"]] = state
        if previous is None and bead["status"] == "open":
            continue
        title = bead["title"][:40]
        status, mr_state, assignee = state
        if status == "closed":
            tracker.merged_at[bead["id"]] = time.monotonic()
            line = f"{bead['id']} merged ({bead.get('merged_commit', '')[:10]}): {title}"
        elif mr_state == "pending" and (previous or (None, None))[1] != "pending":
            line = f"{bead['id']} done by {assignee}: merge request queued"
        elif mr_state == "rejected" and status == "open":
            line = f"{bead['id']} REJECTED by the gate, back to open: {title}"
        elif mr_state == "conflict":
            line = f"{bead['id']} CONFLICT on merge: a resolution bead goes to its polecat"
        elif status == "hooked":
            tracker.slung_at.setdefault(bead["id"], time.monotonic())
            tracker.workers.setdefault(bead["id"], []).append(str(assignee))
            line = f"{bead['id']} slung to {assignee}: {title}"
        else:
            continue
        say(f"{tracker.stamp()}  {line}")
        tracker.events.append(line)


def drive(town: Town, rig: Rig, convoy_id: str, polecats: int, timeout: float,
          say: Say, formulas: dict[str, str] | None = None) -> Tracker:
    tracker = Tracker()
    start_refinery(town, rig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _report_changes(rig, tracker, say)
        if town.ledger().get(convoy_id)["status"] == "closed":
            say(f"{tracker.stamp()}  convoy {convoy_id} landed")
            return tracker
        free = polecats - _busy(rig)
        ready = [b for b in rig.ledger().ready(limit=None) if not b.get("assignee")]
        for bead in ready[:max(free, 0)]:
            try:
                if bead["id"] in (formulas or {}):
                    sling_formula(town, (formulas or {})[bead["id"]], rig.name, on=bead["id"],
                                  convoy=False, actor="mayor")
                else:
                    sling(town, bead["id"], rig.name, convoy=False, actor="mayor")
            except GtError as exc:
                # The Refinery slings the beads it files for conflicts itself: one may be
                # hooked between our read of ready work and this sling.
                say(f"{tracker.stamp()}  {bead['id']} not slung: {exc.message}")
        time.sleep(0.3)
    raise GtError(f"the demo did not finish within {timeout:.0f}s; look with `gt agents`, "
                  f"`gt peek`, and `bd list --all` in {rig.path}")


def summary(town: Town, rig: Rig, tracker: Tracker, convoy_id: str) -> dict[str, Any]:
    rows = []
    ledger = rig.ledger()
    for bead in ledger.list(Filters(status=["closed"]), sort="created", limit=None):
        if bead.get("issue_type") == "agent" or record.step_of(bead) is not None:
            continue
        started = tracker.slung_at.get(bead["id"])
        ended = tracker.merged_at.get(bead["id"])
        rows.append({"id": bead["id"], "title": bead["title"],
                     "polecats": tracker.workers.get(bead["id"], [bead.get("assignee")]),
                     "request": f"refs/mr/{bead['id']}",
                     "request_commit": bead.get("mr_commit"),
                     "merged_commit": bead.get("merged_commit"),
                     "rejections": bead.get("rejections", 0),
                     "conflicts": bead.get("conflicts", 0),
                     "seconds": round(ended - started, 1) if started and ended else None,
                     "steps": _steps(ledger.db(), bead)})
    log = out("log", "--format=%h %an: %s", "-n", "14", "beads", cwd=rig.repo)
    main_log = out("log", "--format=%h %s", "--first-parent", "-n", "12", rig.branch,
                   cwd=rig.repo)
    return {"convoy": convoys.status(town, convoy_id), "beads": rows,
            "ledger_log": log.splitlines(), "main_log": main_log.splitlines(),
            "seconds": round(time.monotonic() - tracker.started, 1), "town": str(town.root)}


def _steps(db: Any, bead: dict[str, Any]) -> list[dict[str, Any]]:
    """The molecule steps of a bead slung with a formula (none for the others)."""
    if record.info_of(bead) is None:
        return []
    molecule = record.from_root(db, bead)
    return [{"id": s.id, "title": s.title, "state": progress.state(s)} for s in molecule.steps]


def print_summary(result: dict[str, Any], say: Say) -> None:
    say("")
    say(f"convoy {result['convoy']['id']} {result['convoy']['status']}: "
        f"{result['convoy']['closed']}/{result['convoy']['total']} beads closed in "
        f"{result['seconds']}s")
    say(f"{'bead':<12} {'polecat(s)':<24} {'request':<11} {'merged':<11} {'time':>6}  "
        "notes / title")
    for row in result["beads"]:
        notes = []
        if row["rejections"]:
            notes.append(f"rejected {row['rejections']}x by the gate")
        if row["conflicts"]:
            notes.append(f"conflicted {row['conflicts']}x")
        who = ", ".join(dict.fromkeys(str(w) for w in row["polecats"]))
        took = f"{row['seconds']}s" if row["seconds"] is not None else "-"
        say(f"{row['id']:<12} {who:<24} {(row['request_commit'] or '-')[:10]:<11} "
            f"{(row['merged_commit'] or '-')[:10]:<11} {took:>6}  "
            f"{'; '.join(notes) + ' | ' if notes else ''}{row['title']}")
        for step in row.get("steps", []):
            mark = "✓" if step["state"] == "done" else "○"
            say(f"{'':<12}   {mark} step {step['id']}: {step['title']}")
    say("\ngit log beads (the rig's ledger, newest first):")
    for line in result["ledger_log"]:
        say(f"  {line}")
    say("\ngit log --first-parent main:")
    for line in result["main_log"]:
        say(f"  {line}")


def run_demo(root: Path, polecats: int = 3, no_tmux: bool = False, timeout: float = 240,
             say: Say = print) -> dict[str, Any]:
    town, rig = build_town(root, polecats, no_tmux, say)
    try:
        formulas, convoy_id = file_work(town, rig, say)
        tracker = drive(town, rig, convoy_id, polecats, timeout, say, formulas)
        return summary(town, rig, tracker, convoy_id)
    finally:
        town.backend().stop(Address("refinery", rig.name).session)

"""A seeded town for the status and dashboard benchmarks: three rigs, 30 agents (a third of
them working with a bead on their hook), 10k beads spread over the rigs' ledgers, convoys
tracking some of them, merge requests queued and some sent back.

Made through gt's own set-up (`gt install`, `gt rig add`) and the ledger's import path; the
agents are beads (no sessions run), as they would be in a town whose agents are between runs;
the reactor's cursors stand at the tips, as a reactor that has caught up leaves them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pygit2
from common import ACTOR, git, new_repo, record

from beads.jsonl import import_records
from gt.agents import Address, ensure_agent
from gt.reactor.scan import ledgers, tip
from gt.reactor.state import State
from gt.town import Town

RIGS = ("alpha", "beta", "gamma")
GT = [sys.executable, "-m", "gt"]


def _gt(cwd: Path, *args: str) -> None:
    subprocess.run([*GT, *args], cwd=cwd, check=True, capture_output=True)


def seed(base: Path, beads: int = 10_000, agents: int = 30) -> Path:
    """Make the town at `base/town`; returns its root."""
    root = base / "town"
    _gt(base, "install", str(root), "--no-tmux")
    for name in RIGS:
        project = new_repo(base / f"src-{name}")
        _gt(root, "rig", "add", name, str(project), "--prefix", name[:2])
    town = Town(root)
    per_rig = beads // len(RIGS)
    hooked: list[tuple[str, str]] = []
    for index, name in enumerate(RIGS):
        prefix = name[:2]
        ledger = town.open_ledger(root / name / ".repo.git", ACTOR)
        records = []
        for n in range(1, per_rig + 1):
            rec = record(index * per_rig + n)
            rec["id"] = rec["id"].replace("bd-", f"{prefix}-")
            for dep in rec.get("dependencies", []):
                dep["depends_on_id"] = dep["depends_on_id"].replace("bd-", f"{prefix}-")
            records.append((n, rec))
        import_records(ledger, records)
        open_ids = [r["id"] for _, r in records if r["status"] == "open"]
        count = agents // len(RIGS)
        changes: dict[str, dict[str, object]] = {}
        for number in range(count):
            agent = ensure_agent(ledger, Address("polecat", name, f"p{number}"))
            if number % 3 == 0:
                bead = open_ids[number]
                changes[agent["id"]] = {"agent_state": "working", "hook_bead": bead}
                changes[bead] = {"status": "hooked", "assignee": str(Address("polecat", name,
                                                                              f"p{number}"))}
                hooked.append((name, bead))
        for bead in open_ids[100:105]:
            changes[bead] = {"mr_state": "rejected", "rejections": 1}
        ledger.update_many("seed agents and hooks", changes)
        repo = root / name / ".repo.git"
        head = git(repo, "rev-parse", "main").strip()
        for bead in open_ids[200:203]:
            git(repo, "update-ref", f"refs/mr/{bead}", head)
        for start in range(0, 60, 20):
            _gt(root, "convoy", "create", f"{name} batch {start}",
                *open_ids[300 + start:320 + start])
    # A reactor that has caught up: its cursors at the tips (gt status reads its lag).
    state = State(town.state_dir / "reactor")
    for ledger in ledgers(town):
        state.cursors[ledger.name] = tip(pygit2.Repository(str(ledger.git_dir))) or ""
    state.save_cursors()
    return root

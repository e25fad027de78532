"""`gt done`: a polecat hands its finished work to the Refinery as a merge request.

The request is the ref `refs/mr/<bead>` in the rig's shared repository, pointing at the
branch tip (the same commit twice is one request; a newer commit supersedes the older). The
bead records `mr_state: pending` and the commit; the agent's hook is cleared and its session
ends, while its sandbox stays until the merge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gt.agents import Address
from gt.errors import GtError
from gt.git import git, out
from gt.rig import Rig
from gt.town import Town
from gt.work import mail

STATUSES = ("completed", "escalated", "deferred")
ZERO = "0" * 40


def write_request(rig: Rig, bead_id: str, commit: str) -> str:
    """Point refs/mr/<bead> at `commit` with compare-and-swap; returns created/same/superseded."""
    ref = f"refs/mr/{bead_id}"
    old = git("rev-parse", "-q", "--verify", ref, cwd=rig.repo, check=False).stdout.strip()
    if old == commit:
        return "same"
    git("update-ref", "-m", f"gt done {bead_id}", ref, commit, old or ZERO, cwd=rig.repo)
    return "superseded" if old else "created"


def done(town: Town, address: Address, status: str = "completed", reason: str | None = None,
         cwd: Path | None = None) -> dict[str, Any]:
    if status not in STATUSES:
        raise GtError(f"invalid status {status!r}: use {', '.join(STATUSES)}")
    if address.role != "polecat" or address.rig is None:
        raise GtError("gt done is for polecats, run in a polecat's worktree")
    rig = Rig(town, address.rig)
    worktree = rig.polecat_dir(str(address.name))
    here = (cwd or Path.cwd()).resolve()
    if worktree.resolve() != here and worktree.resolve() not in here.parents:
        raise GtError(f"gt done must run in {address}'s worktree ({worktree})")
    ledger = rig.ledger(str(address))
    agent_id = address.bead_id(ledger.prefix)
    bead_id = ledger.get(agent_id).get("hook_bead")
    if not bead_id:
        raise GtError(f"nothing on {address}'s hook (did gt done already run?)")
    result: dict[str, Any] = {"bead": bead_id, "agent": str(address), "status": status}
    agent_changes: dict[str, Any] = {"hook_bead": None, "agent_state": "idle"}
    if status == "completed":
        new = int(out("rev-list", "--count", f"{rig.branch}..HEAD", cwd=worktree))
        if new == 0:
            raise GtError(f"no new commit on this branch since {rig.branch}: commit your work "
                          "first (or use --status deferred or escalated)")
        if out("status", "--porcelain", "--untracked-files=no", cwd=worktree):
            raise GtError("uncommitted changes in the worktree: commit or discard them first")
        commit = out("rev-parse", "HEAD", cwd=worktree)
        result["request"] = write_request(rig, bead_id, commit)
        result.update(ref=f"refs/mr/{bead_id}", commit=commit)
        bead_changes: dict[str, Any] = {"mr_state": "pending", "mr_commit": commit,
                                        "mr_branch": out("branch", "--show-current",
                                                         cwd=worktree)}
        agent_changes["agent_state"] = "awaiting-merge"
    elif status == "deferred":
        bead_changes = {"status": "open", "assignee": None}
    else:
        bead_changes = {"status": "blocked", "escalation": reason or "escalated by the agent"}
    ledger.update_many(f"done {bead_id} ({status})",
                       {bead_id: bead_changes, agent_id: agent_changes})
    if status == "escalated":
        mail.send(town, str(address), "mayor", f"Escalation: {bead_id}",
                  reason or f"{address} escalated {bead_id}")
    if status != "completed":
        rig.remove_worktree(worktree)
    return result

"""`gt done`: a polecat hands its finished work to the Refinery as a merge request.

The request is the ref `refs/mr/<bead>` in the rig's shared repository, pointing at the
branch tip (the same commit twice is one request; a newer commit supersedes the older). The
bead records `mr_state: pending` and the commit; the agent's hook is cleared and its session
ends, while its sandbox stays until the merge.

Work that carries a molecule is finished only when its steps are: `gt done` refuses while
steps are open, naming the current one. With `force` the open steps are closed as skipped in
the same commit, so no step is left open and assigned once its work has gone (a step left so
stays in `bd ready` for ever).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from beads import Ledger
from beads.model import now_iso
from beads.mol import progress, record
from gt.agents import Address
from gt.errors import GtError
from gt.git import git, out
from gt.refinery.merge import put_on
from gt.refinery.push import push_branch
from gt.rig import Rig
from gt.settings import STRATEGIES
from gt.town import Town
from gt.work import convoy, mail

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
         cwd: Path | None = None, force: bool = False) -> dict[str, Any]:
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
    skipped: list[str] = []
    if status == "completed":
        new = int(out("rev-list", "--count", f"{rig.branch}..HEAD", cwd=worktree))
        if new == 0:
            raise GtError(f"no new commit on this branch since {rig.branch}: commit your work "
                          "first (or use --status deferred or escalated)")
        if out("status", "--porcelain", "--untracked-files=no", cwd=worktree):
            raise GtError("uncommitted changes in the worktree: commit or discard them first")
        skipped = open_steps(ledger, bead_id, force)
        commit = out("rev-parse", "HEAD", cwd=worktree)
        branch = out("branch", "--show-current", cwd=worktree)
        strategy = strategy_for(town, rig, bead_id)
        result.update(commit=commit, strategy=strategy)
        if strategy == "local":
            bead_changes: dict[str, Any] = {
                "status": "closed", "close_reason": f"done on branch {branch} (local strategy: "
                                                    "not merged)", "mr_state": "local"}
        elif strategy == "direct" and (landed := land_directly(rig, commit)) is not None:
            result["merged_commit"] = landed
            bead_changes = {"status": "closed", "mr_state": "merged", "merged_commit": landed,
                            "close_reason": f"pushed straight to {rig.branch} as {landed[:10]}"}
        else:
            result["request"] = write_request(rig, bead_id, commit)
            result["ref"] = f"refs/mr/{bead_id}"
            bead_changes = {"mr_state": "pending", "mr_commit": commit, "mr_branch": branch,
                            "mr_requested_at": now_iso()}
            agent_changes["agent_state"] = "awaiting-merge"
    elif status == "deferred":
        bead_changes = {"status": "open", "assignee": None}
    else:
        bead_changes = {"status": "blocked", "escalation": reason or "escalated by the agent"}
    changes = {bead_id: bead_changes, agent_id: agent_changes}
    if skipped:
        result["skipped_steps"] = skipped
        changes.update({step: {"status": "closed", "close_reason": "skipped: gt done --force"}
                        for step in skipped})
    ledger.update_many(f"done {bead_id} ({status})", changes)
    if status == "escalated":
        mail.send(town, str(address), "mayor", f"Escalation: {bead_id}",
                  reason or f"{address} escalated {bead_id}")
    if status != "completed" or result.get("merged_commit"):
        rig.remove_worktree(worktree)
    if result.get("merged_commit"):
        convoy.land_ready(town, bead_id)
    return result


def open_steps(ledger: Ledger, bead_id: str, force: bool) -> list[str]:
    """The step beads of the molecule on `bead_id` still open: refused unless `force` (then
    they are the steps to close as skipped). Empty for work without an active molecule."""
    doc = ledger.get(bead_id)
    if record.info_of(doc) is None:
        return []
    molecule = record.from_root(ledger.db(), doc)
    if molecule.state != record.ACTIVE or progress.complete(molecule):
        return []
    finished, total = progress.counts(molecule)
    if not force:
        current = progress.current(molecule)
        where = f" (current: {current.id}, `gt mol step done` when it is)" if current else ""
        raise GtError(f"{bead_id}: {total - finished} of {total} molecule steps are not done"
                      f"{where}; finish them, or `gt done --force` to close them as skipped")
    return [step.bead for step in molecule.steps if step.bead and not step.done]


def strategy_for(town: Town, rig: Rig, bead_id: str) -> str:
    """How finished work reaches the branch: a convoy's choice, else the rig's, else `mr`."""
    for tracking in convoy.tracking(town, bead_id):
        if tracking.get("strategy") in STRATEGIES:
            return str(tracking["strategy"])
    return rig.settings.strategy


def land_directly(rig: Rig, commit: str) -> str | None:
    """The `direct` strategy: merge onto the branch now, without the queue or its gates; None
    when it conflicts (the work then goes through the queue, which turns conflicts into work)."""
    for _attempt in range(5):
        base = out("rev-parse", rig.branch, cwd=rig.repo)
        merged = put_on(rig, base, commit, f"Merge {commit[:10]} (direct)")
        if merged.commit is None:
            return None
        moved = git("update-ref", f"refs/heads/{rig.branch}", merged.commit, base,
                    cwd=rig.repo, check=False)
        if moved.returncode == 0:
            push_branch(rig, base, merged.commit)
            return merged.commit
    raise GtError(f"{rig.branch} kept moving; run gt done again")

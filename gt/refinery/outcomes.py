"""Recording what became of merge requests, in the rig's ledger, and acting on it.

merged: the polecat's sandbox removed, the bead closed with the commit, then the request ref
deleted and convoys checked; a batch lands in one ledger commit. The ledger is written before
a ref is dropped (here as for rejections and conflicts): a Refinery killed in between leaves
the request queued, and the next one finds it landed or recorded already, never a request
gone with nothing recorded. A sandbox is removed before its polecat is recorded idle: an
idle polecat may be slung new work in a new sandbox at once. rejected: the gate output's
tail becomes a comment and the bead goes back to open, with a rejection count, and the Mayor
gets mail. conflict: a new bead to resolve it is slung back to the same polecat; after five
conflicts the Mayor is asked instead. invalid: the ref is dropped with the reason.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from beads.errors import BeadsError
from gt.agents import Address
from gt.errors import GtError
from gt.git import git
from gt.refinery import gates as gate_runner
from gt.refinery.queue import Request
from gt.rig import Rig
from gt.work import convoy, mail
from gt.work.sling import sling

MAX_CONFLICTS = 5


@dataclass
class Outcome:
    bead: str
    action: str
    reason: str = ""
    commit: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"bead": self.bead, "action": self.action, "reason": self.reason,
                "commit": self.commit, "detail": self.detail}


def drop_ref(rig: Rig, request: Request) -> None:
    """Delete the request's ref, only if it still points where it did (compare-and-swap)."""
    git("update-ref", "-d", request.ref, request.commit, cwd=rig.repo, check=False)


def invalid(rig: Rig, request: Request, problem: str) -> Outcome:
    drop_ref(rig, request)
    with contextlib.suppress(BeadsError):
        rig.ledger(f"{rig.name}/refinery").update_many(
            f"refinery: {request.bead}", {request.bead: {"mr_state": "invalid",
                                                         "mr_reason": problem}})
    return Outcome(request.bead, "invalid", problem)


def _polecat_of(bead: dict[str, Any]) -> Address | None:
    try:
        address = Address.parse(bead.get("assignee") or "")
    except GtError:
        return None
    return address if address.role == "polecat" else None


def _release_polecat(rig: Rig, bead: dict[str, Any], changes: dict[str, dict[str, Any]]) -> None:
    """Remove the polecat's sandbox and make it idle in `changes`: the sandbox goes first,
    since an idle polecat may be slung new work (and a new sandbox) at once."""
    address = _polecat_of(bead)
    if address is None:
        return
    agent_id = address.bead_id(rig.prefix)
    changes[agent_id] = {"agent_state": "idle", "hook_bead": None}
    rig.remove_worktree(rig.polecat_dir(str(address.name)))


def merged(rig: Rig, landed: list[tuple[Request, dict[str, Any], str]],
           pushed: str) -> list[Outcome]:
    """Record a landed batch (request, bead, the commit that carried it) in one commit;
    `pushed` says what became of publishing it to the rig's origin."""
    changes: dict[str, dict[str, Any]] = {}
    outcomes = []
    for request, bead, commit in landed:
        reason = f"merged to {rig.branch} as {commit[:10]}"
        closing = {"status": "closed", "close_reason": reason, "mr_state": "merged",
                   "merged_commit": commit, "mr_push": pushed}
        changes[request.bead] = dict(closing)
        original = (bead.get("metadata") or {}).get("resolves")
        if original:
            changes[original] = dict(closing)
        _release_polecat(rig, bead, changes)
        outcomes.append(Outcome(request.bead, "merged", reason, commit))
    names = ", ".join(r.bead for r, _b, _c in landed)
    rig.ledger(f"{rig.name}/refinery").update_many(f"merge {names} into {rig.branch}", changes)
    for request, _bead, _commit in landed:
        drop_ref(rig, request)
    for bead_id in changes:
        if not bead_id.startswith(f"{rig.prefix}-{rig.name}-"):
            convoy.land_ready(rig.town, bead_id)
    return outcomes


def rejected(rig: Rig, request: Request, bead: dict[str, Any],
            failed: gate_runner.GateResult) -> Outcome:
    ledger = rig.ledger(f"{rig.name}/refinery")
    changes: dict[str, dict[str, Any]] = {request.bead: {
        "status": "open", "assignee": None, "mr_state": "rejected",
        "rejections": int(bead.get("rejections") or 0) + 1}}
    _release_polecat(rig, bead, changes)
    ledger.update_many(f"reject {request.bead}: {failed.reason}", changes)
    drop_ref(rig, request)
    ledger.comment(request.bead, f"Refinery rejected {request.commit[:10]}: {failed.reason}\n"
                                 f"{failed.tail}")
    mail.send(rig.town, f"{rig.name}/refinery", "mayor", f"Rejected {request.bead}",
              f"{failed.reason}\n\n{failed.tail}")
    return Outcome(request.bead, "rejected", failed.reason, detail=failed.tail)


def conflict(rig: Rig, request: Request, bead: dict[str, Any], files: list[str]) -> Outcome:
    ledger = rig.ledger(f"{rig.name}/refinery")
    original = (bead.get("metadata") or {}).get("resolves") or request.bead
    tries = int(ledger.get(original).get("conflicts") or 0) + 1
    changes: dict[str, dict[str, Any]] = {request.bead: {"mr_state": "conflict"},
                                          original: {"conflicts": tries}}
    address = _polecat_of(bead)
    if address is not None:
        changes[address.bead_id(rig.prefix)] = {"agent_state": "idle", "hook_bead": None}
    ledger.update_many(f"conflict merging {request.bead}", changes)
    drop_ref(rig, request)
    where = ", ".join(files)
    if tries > MAX_CONFLICTS:
        mail.send(rig.town, f"{rig.name}/refinery", "mayor", f"Conflict: {original}",
                  f"{original} conflicted {tries} times (in {where}); it needs a person.")
        return Outcome(request.bead, "conflict", f"escalated to the Mayor after {tries - 1} "
                                                 "tries", detail=where)
    fix = ledger.create(f"Resolve conflict in {where}"[:500], priority=1,
                        deps=[("discovered-from", original)],
                        metadata={"resolves": original, "conflict_files": files},
                        description=f"Merging {request.bead} into {rig.branch} conflicted in "
                                    f"{where}. Redo the change on the current {rig.branch}.")
    target = str(address) if address is not None else rig.name
    slung = sling(rig.town, fix["id"], target, convoy=False, actor=f"{rig.name}/refinery")
    return Outcome(request.bead, "conflict", f"conflict in {where}; {fix['id']} slung to "
                                             f"{slung.agent}", detail=fix["id"])

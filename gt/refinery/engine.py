"""Merging one request: merge in the Refinery's worktree, run the gates, land with CAS.

Every outcome is recorded in the rig's ledger: merged (bead closed), rejected (gate output's
tail as a comment, bead back to open), conflict (a new bead to resolve it, slung back to the
same polecat; after five conflicts the Mayor is asked instead), invalid (the ref is dropped).
The default branch only moves by `git update-ref <branch> <new> <old>`, so a Refinery killed
mid-merge leaves it either before or after the merge.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from beads.errors import BeadsError
from gt.agents import Address
from gt.errors import GtError
from gt.git import GT_IDENTITY, git, out
from gt.refinery import gates as gate_runner
from gt.refinery.queue import Request
from gt.rig import Rig
from gt.work import convoy, mail

MAX_CONFLICTS = 5
MAX_LAND_ATTEMPTS = 5


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


def _clean_worktree(rig: Rig, start: str) -> None:
    wt = rig.refinery_dir
    git("merge", "--abort", cwd=wt, check=False)
    git("checkout", "-q", "--detach", "-f", start, cwd=wt)
    git("reset", "-q", "--hard", start, cwd=wt)
    git("clean", "-q", "-ffdx", cwd=wt)


def _drop_ref(rig: Rig, request: Request) -> None:
    git("update-ref", "-d", request.ref, request.commit, cwd=rig.repo, check=False)


def _validate(rig: Rig, request: Request) -> str | None:
    kind = git("cat-file", "-t", request.commit, cwd=rig.repo, check=False).stdout.strip()
    if kind != "commit":
        return f"{request.ref} points at a {kind or 'missing object'}, not a commit"
    base = git("merge-base", rig.branch, request.commit, cwd=rig.repo, check=False)
    if base.returncode != 0:
        return f"{request.ref} has no history in common with {rig.branch}"
    try:
        bead = rig.ledger().get(request.bead)
    except BeadsError:
        return f"no bead {request.bead} for this merge request"
    if bead["status"] == "closed":
        return f"{request.bead} is already closed"
    return None


def process(rig: Rig, request: Request) -> Outcome:
    problem = _validate(rig, request)
    if problem:
        _drop_ref(rig, request)
        _record(rig, request.bead, {"mr_state": "invalid", "mr_reason": problem})
        return Outcome(request.bead, "invalid", problem)
    bead = rig.ledger().get(request.bead)
    for _attempt in range(MAX_LAND_ATTEMPTS):
        base = out("rev-parse", rig.branch, cwd=rig.repo)
        _clean_worktree(rig, base)
        merged = git("merge", "--no-ff", "-q", "-m", f"Merge {request.bead}: {bead['title']}",
                     request.commit, cwd=rig.refinery_dir, env=GT_IDENTITY, check=False)
        if merged.returncode != 0:
            files = out("diff", "--name-only", "--diff-filter=U", cwd=rig.refinery_dir)
            _clean_worktree(rig, base)
            return _conflict(rig, request, bead, files.split() or ["(unknown files)"])
        results = gate_runner.run_all(rig.gates(), rig.refinery_dir, _timeouts(rig))
        failed = next((r for r in results if not r.passed), None)
        if failed is not None:
            _clean_worktree(rig, base)
            return _reject(rig, request, bead, failed)
        new = out("rev-parse", "HEAD", cwd=rig.refinery_dir)
        landed = git("update-ref", "-m", f"refinery: merge {request.bead}",
                     f"refs/heads/{rig.branch}", new, base, cwd=rig.repo, check=False)
        if landed.returncode == 0:
            return _merged(rig, request, bead, new)
    raise GtError(f"{rig.branch} kept moving while merging {request.bead}; will retry")


def _timeouts(rig: Rig) -> dict[str, float]:
    return {k: float(v) for k, v in rig.settings.get("gate_timeouts", {}).items()}


def _record(rig: Rig, bead_id: str, fields: dict[str, Any]) -> None:
    with contextlib.suppress(BeadsError):
        rig.ledger(f"{rig.name}/refinery").update_many(f"refinery: {bead_id}", {bead_id: fields})


def _polecat_of(bead: dict[str, Any]) -> Address | None:
    try:
        address = Address.parse(bead.get("assignee") or "")
    except GtError:
        return None
    return address if address.role == "polecat" else None


def _release_polecat(rig: Rig, bead: dict[str, Any], changes: dict[str, dict[str, Any]]) -> None:
    address = _polecat_of(bead)
    if address is None:
        return
    agent_id = address.bead_id(rig.prefix)
    changes[agent_id] = {"agent_state": "idle", "hook_bead": None}
    rig.remove_worktree(rig.polecat_dir(str(address.name)))


def _merged(rig: Rig, request: Request, bead: dict[str, Any], commit: str) -> Outcome:
    _drop_ref(rig, request)
    reason = f"merged to {rig.branch} as {commit[:10]}"
    closing = {"status": "closed", "close_reason": reason, "mr_state": "merged",
               "merged_commit": commit}
    changes: dict[str, dict[str, Any]] = {request.bead: dict(closing)}
    original = (bead.get("metadata") or {}).get("resolves")
    if original:
        changes[original] = dict(closing)
    _release_polecat(rig, bead, changes)
    rig.ledger(f"{rig.name}/refinery").update_many(f"merge {request.bead} into {rig.branch}",
                                                   changes)
    for bead_id in changes:
        if not bead_id.startswith(f"{rig.prefix}-{rig.name}-"):
            convoy.land_ready(rig.town, bead_id)
    return Outcome(request.bead, "merged", reason, commit)


def _reject(rig: Rig, request: Request, bead: dict[str, Any],
            failed: gate_runner.GateResult) -> Outcome:
    _drop_ref(rig, request)
    ledger = rig.ledger(f"{rig.name}/refinery")
    changes: dict[str, dict[str, Any]] = {request.bead: {
        "status": "open", "assignee": None, "mr_state": "rejected",
        "rejections": int(bead.get("rejections") or 0) + 1}}
    _release_polecat(rig, bead, changes)
    ledger.update_many(f"reject {request.bead}: {failed.reason}", changes)
    ledger.comment(request.bead, f"Refinery rejected {request.commit[:10]}: {failed.reason}\n"
                                 f"{failed.tail}")
    mail.send(rig.town, f"{rig.name}/refinery", "mayor", f"Rejected {request.bead}",
              f"{failed.reason}\n\n{failed.tail}")
    return Outcome(request.bead, "rejected", failed.reason, detail=failed.tail)


def _conflict(rig: Rig, request: Request, bead: dict[str, Any], files: list[str]) -> Outcome:
    from gt.work.sling import sling

    _drop_ref(rig, request)
    ledger = rig.ledger(f"{rig.name}/refinery")
    original = (bead.get("metadata") or {}).get("resolves") or request.bead
    tries = int(ledger.get(original).get("conflicts") or 0) + 1
    changes: dict[str, dict[str, Any]] = {request.bead: {"mr_state": "conflict"},
                                          original: {"conflicts": tries}}
    address = _polecat_of(bead)
    if address is not None:
        changes[address.bead_id(rig.prefix)] = {"agent_state": "idle", "hook_bead": None}
    ledger.update_many(f"conflict merging {request.bead}", changes)
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

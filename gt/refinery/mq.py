"""The merge queue by hand (`gt mq show|retry|reject`): a request's history, queueing a
rejected or dropped request again, taking one out."""

from __future__ import annotations

from typing import Any

from beads.model import now_iso
from gt.errors import GtError
from gt.refinery.gates import GateResult
from gt.refinery.outcomes import Outcome, rejected
from gt.refinery.queue import requests
from gt.rig import Rig
from gt.work.done import write_request


def describe(rig: Rig, bead: str) -> dict[str, Any]:
    """One request: its ref, commit, place in the queue and the bead's merge history."""
    ledger = rig.ledger()
    bead_id = ledger.resolve(bead)
    item = ledger.get(bead_id)
    place = next((n for n, r in enumerate(requests(rig), start=1) if r.bead == bead_id), None)
    events = [e for e in ledger.history(bead_id) if e["op"] == "update"
              and "mr_state" in (e.get("data") or {}).get("set", {})]
    return {"bead": bead_id, "title": item["title"], "mr_state": item.get("mr_state"),
            "commit": item.get("mr_commit"), "merged_commit": item.get("merged_commit"),
            "rejections": item.get("rejections", 0), "queued": place is not None,
            "position": place, "events": [{"ts": e["ts"], "actor": e["actor"],
                                           "mr_state": e["data"]["set"]["mr_state"]}
                                          for e in events]}


def retry(rig: Rig, bead: str, actor: str) -> dict[str, Any]:
    """Queue a rejected or dropped request again, at the commit it was made from."""
    ledger = rig.ledger(actor)
    bead_id = ledger.resolve(bead)
    item = ledger.get(bead_id)
    commit = item.get("mr_commit")
    if not commit:
        raise GtError(f"{bead_id} never had a merge request")
    if item["status"] == "closed":
        raise GtError(f"{bead_id} is closed")
    state = write_request(rig, bead_id, commit)
    ledger.update_many(f"retry merge request {bead_id}", {bead_id: {"mr_state": "pending",
                                                              "mr_requested_at": now_iso()}})
    return {"bead": bead_id, "commit": commit, "request": state}


def reject(rig: Rig, bead: str, reason: str, actor: str) -> Outcome:
    """Take a request out of the queue; the bead goes back to open, with the reason."""
    ledger = rig.ledger(actor)
    bead_id = ledger.resolve(bead)
    queued = next((r for r in requests(rig) if r.bead == bead_id), None)
    if queued is None:
        raise GtError(f"{bead_id} has no request in the queue of {rig.name}")
    item = ledger.get(bead_id)
    return rejected(rig, queued, item, GateResult("by hand", False, "", reason))

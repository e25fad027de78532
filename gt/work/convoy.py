"""Convoys: beads (type convoy, in the town's ledger) that track a batch of work.

A convoy `tracks` beads of any rig's ledger; when every tracked bead is closed the convoy
lands: it is closed and its owner gets mail. Staged convoys (in waves): `gt.work.waves`.
"""

from __future__ import annotations

from typing import Any

from beads import query
from beads.errors import BeadsError
from beads.ledger import NewBead
from beads.query import Filters
from beads.store import Intent
from beads.view import View
from gt.errors import GtError
from gt.town import Town
from gt.work import mail


def create(town: Town, name: str, bead_ids: list[str], owner: str = mail.OVERSEER,
           actor: str = "gt", strategy: str | None = None) -> dict[str, Any]:
    for bead_id in bead_ids:
        town.ledger_for(bead_id).get(bead_id)
    extra = {"strategy": strategy} if strategy else {}
    return town.ledger(actor).create(name, issue_type="convoy", owner=owner,
                                     deps=[("tracks", b) for b in bead_ids], **extra)


def tracked(convoy: dict[str, Any]) -> list[str]:
    return [d["depends_on_id"] for d in convoy.get("dependencies", []) if d["type"] == "tracks"]


def status(town: Town, convoy_id: str) -> dict[str, Any]:
    convoy = town.ledger().get(convoy_id)
    beads = []
    for bead_id in tracked(convoy):
        try:
            bead = town.ledger_for(bead_id).get(bead_id)
            beads.append({"id": bead_id, "title": bead["title"], "status": bead["status"],
                          "assignee": bead.get("assignee"), "mr_state": bead.get("mr_state")})
        except BeadsError as exc:
            beads.append({"id": bead_id, "title": None, "status": "missing",
                          "error": exc.message})
    done = sum(1 for b in beads if b["status"] == "closed")
    return {"id": convoy["id"], "title": convoy["title"], "status": convoy["status"],
            "owner": convoy.get("owner"), "closed": done, "total": len(beads), "beads": beads}


def statuses(town: Town, include_closed: bool = False) -> list[dict[str, Any]]:
    """The status of every open convoy (and landed ones too, with `include_closed`)."""
    items = town.ledger().list(Filters(types=["convoy"], include_closed=include_closed),
                               sort="created", limit=None)
    return [status(town, c["id"]) for c in items]


def tracking(town: Town, bead_id: str) -> list[dict[str, Any]]:
    """Open convoys that track `bead_id` (found through the dependency index)."""
    ledger = town.ledger()
    db = ledger.db()
    convoys = []
    for convoy_id, kind in query.dependents_of(db, bead_id):
        if kind == "tracks":
            convoy = query.get(db, convoy_id)
            if convoy.get("issue_type") == "convoy" and convoy["status"] != "closed":
                convoys.append(convoy)
    return convoys


def land_ready(town: Town, bead_id: str) -> list[str]:
    """Land every open convoy that tracks `bead_id` and whose beads are now all closed.

    Closing the convoy and mailing its owner are one ledger commit, made only while the
    convoy is still open: however often this runs for one close (the Refinery and the reactor
    both call it), the convoy lands once.
    """
    landed = []
    for convoy in tracking(town, bead_id):
        state = status(town, convoy["id"])
        if state["total"] and state["closed"] == state["total"] and _land(town, convoy, state):
            landed.append(convoy["id"])
    return landed


def _land(town: Town, convoy: dict[str, Any], state: dict[str, Any]) -> bool:
    ledger = town.ledger("gt")
    owner = mail.check_recipient(convoy.get("owner") or mail.OVERSEER)
    note = NewBead(title=f"Convoy landed: {convoy['title']}"[:500],
                   fields={"issue_type": "message", "assignee": owner, "sender": "gt",
                           "description": f"All {state['total']} beads of {convoy['id']} "
                                          "are closed."},
                   labels=["unread"])

    def plan(view: View) -> tuple[list[Intent], Any]:
        current = view.live(convoy["id"])
        if current is None or current["status"] == "closed":
            return [], False
        return [Intent("close", convoy["id"], {"reason": "landed: every tracked bead closed"}),
                ledger.plan_create(view, note)], True

    return bool(ledger.write_plan(f"land convoy {convoy['id']}", plan))


def open_convoy(town: Town, convoy_id: str, actor: str = "gt") -> dict[str, Any]:
    convoy = town.ledger(actor).get(convoy_id)
    if convoy.get("issue_type") != "convoy":
        raise GtError(f"{convoy['id']} is not a convoy")
    if convoy["status"] == "closed":
        raise GtError(f"convoy {convoy['id']} is closed")
    return convoy


def add(town: Town, convoy_id: str, bead_ids: list[str], actor: str = "gt") -> dict[str, Any]:
    """Track more beads (of any ledger) in an open convoy."""
    convoy = open_convoy(town, convoy_id, actor)
    for bead_id in bead_ids:
        town.ledger_for(bead_id).get(bead_id)
    ledger = town.ledger(actor)
    for bead_id in bead_ids:
        ledger.dep_add(convoy["id"], bead_id, "tracks")
    return status(town, convoy["id"])


def close(town: Town, convoy_id: str, reason: str, actor: str = "gt") -> dict[str, Any]:
    """Close a convoy by hand, whatever its beads' state (they are left as they are)."""
    convoy = open_convoy(town, convoy_id, actor)
    town.ledger(actor).close([convoy["id"]], reason=reason or "closed by hand", force=True)
    return status(town, convoy["id"])


def land(town: Town, convoy_id: str) -> dict[str, Any]:
    """Land a convoy whose beads are all closed (as the reactor would); refuse otherwise."""
    convoy = open_convoy(town, convoy_id)
    state = status(town, convoy["id"])
    waiting = [b["id"] for b in state["beads"] if b["status"] != "closed"]
    if waiting or not state["total"]:
        raise GtError(f"convoy {convoy['id']} cannot land: "
                      + (f"{len(waiting)} bead(s) not closed ({', '.join(waiting[:5])})"
                         if waiting else "it tracks nothing"))
    _land(town, convoy, state)
    return status(town, convoy["id"])

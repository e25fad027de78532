"""The sling queue: work slung while it could not start, kept in the ledger until it can.

A queued bead stays open and unassigned; one ledger commit gives it the label `queued` and
the fields `queued_for` (the rig or agent it was slung to), `queued_by`, `queued_at`,
`queued_on` (the machine whose reactor dispatches it: one machine, so two reactors never
hook it twice) and `queue_reason`, and keeps `sling_args`. The queue syncs with the ledger
like any bead. It is taken in the order the Refinery takes its requests: priority (P0
first), the age of the oldest open convoy tracking the bead (older first; unconvoyed work
after), then when it was queued, then the bead id. Slinging a queued bead (by hand or by the
reactor) clears the queue's fields and label in the very commit that hooks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from beads import Ledger
from beads.errors import BeadsError, NotFound
from beads.model import now_iso
from beads.query import Filters
from beads.store import Intent
from beads.view import View
from gt.control import admission
from gt.errors import GtError
from gt.rig import rigs_readable
from gt.town import Town
from gt.work import convoy

LABEL = "queued"
FIELDS = ("queued_for", "queued_by", "queued_at", "queued_on", "queue_reason")
NO_CONVOY = "~"  # sorts after every timestamp


@dataclass(frozen=True)
class Queued:
    bead: str
    title: str
    target: str
    by: str
    at: str
    machine: str
    reason: str
    priority: int
    convoy_since: str
    args: str | None

    @property
    def score(self) -> tuple[int, str, str, str]:
        return (self.priority, self.convoy_since, self.at, self.bead)

    def to_dict(self) -> dict[str, Any]:
        return {"bead": self.bead, "title": self.title, "queued_for": self.target,
                "queued_by": self.by, "queued_at": self.at, "queued_on": self.machine,
                "reason": self.reason, "priority": self.priority,
                "convoy_since": None if self.convoy_since == NO_CONVOY else self.convoy_since,
                "args": self.args}


def cleared(bead: dict[str, Any]) -> tuple[dict[str, Any], list[Intent]]:
    """The fields to unset and the label removal that take `bead` out of the queue (nothing
    when it is not queued): for a plan that hooks the bead in the same commit."""
    fields = {name: None for name in FIELDS if bead.get(name) is not None}
    labels = [Intent("label.rm", bead["id"], {"label": LABEL})] \
        if LABEL in bead.get("labels", []) else []
    return fields, labels


def enqueue(town: Town, ledger: Ledger, bead_id: str, target: str, reason: str,
            actor: str, args: str | None = None, force: bool = False) -> dict[str, Any]:
    """Queue `bead_id` for `target` (one commit); refused for work that could not be slung."""

    def plan(view: View) -> tuple[list[Intent], Any]:
        bead = view.live(bead_id)
        if bead is None:
            raise NotFound(f"no bead {bead_id!r}")
        admission.check_slingable(bead, force)
        fields: dict[str, Any] = {"queued_for": target, "queued_by": actor,
                                  "queued_at": now_iso(), "queued_on": town.machine,
                                  "queue_reason": reason}
        if args:
            fields["sling_args"] = args
        intents = [Intent("update", bead_id, {"set": fields})]
        if LABEL not in bead.get("labels", []):
            intents.append(Intent("label.add", bead_id, {"label": LABEL}))
        return intents, None

    ledger.write_plan(f"queue {bead_id} for {target}", plan)
    return ledger.get(bead_id)


def _ledgers(town: Town) -> list[Ledger]:
    return [town.ledger(), *(rig.ledger() for rig in rigs_readable(town))]


def _entry(town: Town, bead: dict[str, Any]) -> Queued:
    since = min((c["created_at"] for c in convoy.tracking(town, bead["id"])),
                default=NO_CONVOY)
    return Queued(bead["id"], bead["title"], str(bead.get("queued_for") or ""),
                  str(bead.get("queued_by") or ""), str(bead.get("queued_at") or ""),
                  str(bead.get("queued_on") or ""), str(bead.get("queue_reason") or ""),
                  int(bead.get("priority", 2)), since, bead.get("sling_args"))


def entries(town: Town) -> list[Queued]:
    """Every queued bead of the town's ledgers (those cloned here), in dispatch order."""
    found = []
    for ledger in _ledgers(town):
        for bead in ledger.list(Filters(labels_all=[LABEL], include_closed=False),
                                sort="id", limit=None):
            if bead.get("queued_for") and bead["status"] == "open":
                found.append(_entry(town, bead))
    return sorted(found, key=lambda q: q.score)


def cancel(town: Town, bead_ref: str, actor: str) -> dict[str, Any]:
    """Take a bead out of the queue; it stays open, for anyone to sling."""
    for ledger in _ledgers(town):
        try:
            bead_id = ledger.resolve(bead_ref)
        except BeadsError:
            continue
        break
    else:
        raise GtError(f"no bead {bead_ref!r} in this town's ledgers")
    ledger = town.ledger_for(bead_id, actor)

    def plan(view: View) -> tuple[list[Intent], Any]:
        bead = view.live(bead_id)
        if bead is None or (not bead.get("queued_for") and LABEL not in bead["labels"]):
            raise GtError(f"{bead_id} is not queued (see `gt queue list`)")
        fields, labels = cleared(bead)
        return [Intent("update", bead_id, {"set": fields}), *labels], bead.get("queued_for")

    target = ledger.write_plan(f"unqueue {bead_id}", plan)
    return {"bead": bead_id, "was_queued_for": target}

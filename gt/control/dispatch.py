"""Dispatching the queue: when a polecat frees (or a stop or park is lifted), the reactor
slings queued work in queue order while slots are free, and tells the Mayor once when a slot
is free and ready work waits that nobody slung.

Only the machine that queued a bead dispatches it (`queued_on`), so two reactors never hook
it twice; a bead queued on a machine that is gone can be slung by hand, which clears it.
"""

from __future__ import annotations

from typing import Any

from beads.errors import BeadsError
from beads.model import INFRA_TYPES
from beads.query import Filters
from gt.agents import Address
from gt.control import admission, capacity, queue
from gt.errors import GtError
from gt.rig import Rig
from gt.town import Town
from gt.work import mail
from gt.work.sling import sling

MAYOR = "mayor"
MAIL_SUBJECT = "Capacity: a polecat slot is free in {rig} and {count} ready bead(s) wait"


def _scope(target: str) -> tuple[str | None, Address | None]:
    """The rig and agent a queued bead waits for (`proj`, or an agent's address)."""
    if "/" not in target and target not in ("mayor", "deacon"):
        return target, None
    address = Address.parse(target)
    return address.rig, address


def dispatch(town: Town) -> list[dict[str, Any]]:
    """Sling queued work that may start now, in queue order; returns what happened to each
    bead looked at (slung, or still held and why)."""
    outcomes: list[dict[str, Any]] = []
    for entry in queue.entries(town):
        if entry.machine and entry.machine != town.machine:
            continue
        try:
            rig, address = _scope(entry.target)
        except GtError as exc:
            outcomes.append({"bead": entry.bead, "held": exc.message})
            continue
        reason = admission.held(town, rig, address)
        if reason is not None:
            outcomes.append({"bead": entry.bead, "held": reason})
            continue
        try:
            slung = sling(town, entry.bead, entry.target, args=entry.args, convoy=False,
                          actor=entry.by or "gt")
        except BeadsError as exc:
            outcomes.append({"bead": entry.bead, "held": exc.message})
            continue
        outcomes.append({"bead": entry.bead, "slung_to": slung.agent, "wake": slung.wake}
                        if slung.queued is None else {"bead": entry.bead, "held": slung.queued})
    return outcomes


def _ready_unslung(rig: Rig) -> list[dict[str, Any]]:
    """Open, unblocked, unassigned work of the rig that is not in the queue."""
    ready = rig.ledger().ready(Filters(unassigned=True), limit=None)
    return [b for b in ready if b.get("issue_type") not in INFRA_TYPES
            and queue.LABEL not in b.get("labels", []) and b["status"] == "open"]


def announce(town: Town, rig_name: str) -> str | None:
    """Mail the Mayor when the rig has a free slot under a limit and ready work that nobody
    slung waits; one mail while the Mayor has not read the last one about this rig."""
    settings = capacity.current_settings(town)
    if rig_name not in settings.rigs or not capacity.limited(town, rig_name, settings):
        return None
    if capacity.full(town, rig_name, settings) is not None:
        return None
    if any(entry.target == rig_name or entry.target.startswith(f"{rig_name}/")
           for entry in queue.entries(town)):
        return None  # the queue is first in line for the slot
    waiting = _ready_unslung(Rig(town, rig_name))
    if not waiting:
        return None
    prefix = MAIL_SUBJECT.split("{count}")[0].format(rig=rig_name)
    if any(m["title"].startswith(prefix) for m in mail.inbox(town, MAYOR, unread_only=True)):
        return "the Mayor has an unread mail about it already"
    listed = "\n".join(f"- {b['id']} [P{b.get('priority', 2)}] {b['title']}"
                       for b in waiting[:10])
    sent = mail.send(town, "gt", MAYOR, MAIL_SUBJECT.format(rig=rig_name, count=len(waiting)),
                     f"Sling some with `gt sling <bead> {rig_name}`:\n{listed}")
    return f"mailed the Mayor ({sent['id']})"

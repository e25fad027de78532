"""Whether a sling may hook its bead now, or must queue it: an emergency stop, a parked rig,
or (for polecats) a full rig or town holds new work back; and whether a bead is work that
can be slung at all."""

from __future__ import annotations

from typing import Any

from beads.model import INFRA_TYPES
from gt.agents import Address
from gt.control import capacity, state
from gt.errors import GtError
from gt.town import Town


def check_slingable(bead: dict[str, Any], force: bool, taker: str | None = None) -> None:
    """Refuse work that cannot be slung: closed, infrastructure, or on someone's hook (other
    than `taker`, the agent taking it) unless `force`."""
    bead_id = bead["id"]
    if bead["status"] == "closed":
        raise GtError(f"{bead_id} is closed; reopen it before slinging")
    if bead.get("issue_type") in INFRA_TYPES:
        raise GtError(f"{bead_id} is a {bead['issue_type']} bead, not work")
    holder = bead.get("assignee")
    if bead["status"] in ("hooked", "in_progress") and holder and holder != taker \
            and not force:
        raise GtError(f"{bead_id} is already on {holder}'s hook (use --force to re-sling)")


def held(town: Town, rig: str | None, address: Address | None) -> str | None:
    """Why work slung to `address` (None: a polecat of `rig` to be picked) must wait; None
    when it may start now."""
    scope = address.rig if address is not None else rig
    reason = state.hold(town, scope)
    if reason is not None:
        return reason
    if scope is not None and (address is None or address.role == "polecat"):
        return capacity.full(town, scope)
    return None

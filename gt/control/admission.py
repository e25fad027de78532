"""Whether a sling may hook its bead now, or must queue it: an emergency stop, a parked rig,
or (for polecats) a full rig or town holds new work back."""

from __future__ import annotations

from gt.agents import Address
from gt.control import capacity, state
from gt.town import Town


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

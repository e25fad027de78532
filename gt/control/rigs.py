"""A rig's lifecycle: park and unpark (ledger events: a parked rig gets no new work on any
machine), start and stop (this machine's sessions of the rig).

Parking drains a rig: slings to it queue, the reactor dispatches nothing there, while the
work already hooked runs to its end and the Refinery still merges it. Unparking dispatches
the queue. Starting a rig starts its Refinery and wakes the agents homed here with work on
their hook; stopping it stops every session of the rig here (the work stays on the hooks).
"""

from __future__ import annotations

from typing import Any

from gt.agents import Address, homed_here
from gt.control import state
from gt.control.dispatch import dispatch
from gt.errors import GtError
from gt.launch import start_refinery, wake
from gt.rig import Rig
from gt.roster import all_agents
from gt.town import Town
from gt.work.sling import ready_for_wake


def park(town: Town, rig: str, reason: str, actor: str) -> dict[str, Any]:
    Rig(town, rig)
    already = state.is_parked(town, rig)
    if not already:
        town.ledger(actor).config_set(state.park_key(rig),
                                      state.record("parked", True, actor, town, reason))
    return {"rig": rig, "parked": True, "already_parked": already, "reason": reason}


def unpark(town: Town, rig: str, actor: str) -> dict[str, Any]:
    Rig(town, rig)
    if not state.is_parked(town, rig):
        raise GtError(f"rig {rig} is not parked")
    town.ledger(actor).config_set(state.park_key(rig), state.record("parked", False, actor, town))
    return {"rig": rig, "parked": False, "dispatched": dispatch(town)}


def _rig_agents(town: Town, rig: str) -> list[dict[str, Any]]:
    return [agent for agent in all_agents(town) if agent["rig"] == rig]


def start(town: Town, rig: str) -> dict[str, Any]:
    """Start the rig's Refinery and wake its agents homed here that have work on their hook
    and no live session."""
    target = Rig(town, rig)
    if not target.present:
        raise GtError(f"rig {rig} is not cloned on this machine yet: run `gt sync`")
    if state.is_frozen(town, rig):
        raise GtError(f"{state.hold(town, rig)}: `gt thaw` first")
    started = [f"{rig}/refinery"] if start_refinery(town, target) else []
    for agent in _rig_agents(town, rig):
        if agent["hook"] and not agent["live"] and homed_here(agent, town.machine):
            address = Address.parse(agent["agent"])
            if ready_for_wake(town, address):
                started.append(f"{address}: {wake(town, address)}")
    return {"rig": rig, "started": started}


def stop(town: Town, rig: str) -> dict[str, Any]:
    """Stop every live session of the rig on this machine; hooks are kept."""
    Rig(town, rig)
    backend = town.backend()
    live = set(backend.names())
    names = {agent["session"] for agent in _rig_agents(town, rig)}
    names |= {Address(role, rig).session for role in ("refinery", "witness")}
    stopped = sorted(names & live)
    for name in stopped:
        backend.stop(name)
    return {"rig": rig, "stopped": stopped}

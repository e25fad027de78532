"""What the reactor does about the controls' events (called from `gt.reactor.handlers`).

| event                                          | effect                                  |
| ---------------------------------------------- | --------------------------------------- |
| a polecat homed here frees its hook            | dispatch the queue; mail the Mayor once  |
|                                                | if a slot is free and ready work waits   |
| a bead queued                                  | dispatch the queue                       |
| an emergency stop set or lifted (town ledger)  | freeze or resume this machine's sessions |
|                                                | (on a lift: wake hooked agents, dispatch)|
| a rig parked or unparked (town ledger)         | dispatch the queue                       |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from beads.events import Event
from gt.control import dispatch, estop, state
from gt.town import Town

KINDS = ("dispatch", "estop")


def classify(event: Event, agent_address: Callable[[str], str | None],
             ledger_name: str) -> list[tuple[str, str]]:
    """(kind, target) pairs this event calls for."""
    changes: dict[str, Any] = dict(event.data.get("set") or {}) if event.op == "update" else {}
    out = []
    if "hook_bead" in changes and not changes["hook_bead"] and ledger_name != "town" \
            and agent_address(event.bead):
        out.append(("dispatch", ledger_name))
    if changes.get("queued_for"):
        out.append(("dispatch", "queue"))
    if event.op == "config.set" and ledger_name == "town":
        key = str(event.data.get("key") or "")
        if key == state.ESTOP or key.startswith(state.RIG_ESTOP):
            value = event.data.get("value")
            lifted = not (isinstance(value, dict) and value.get("frozen"))
            out.append(("estop", "thaw" if lifted else "freeze"))
        elif key.startswith(state.PARKED):
            out.append(("dispatch", "queue"))
    return out


def _dispatched(outcomes: list[dict[str, Any]]) -> str:
    slung = [f"{o['bead']} -> {o['slung_to']}" for o in outcomes if "slung_to" in o]
    held = len(outcomes) - len(slung)
    return (f"slung {', '.join(slung)}" if slung else "nothing slung") + \
        (f", {held} still queued" if held else "")


def perform(town: Town, kind: str, target: str) -> str:
    """Carry out one of the controls' effects; returns a line for the reactor's log."""
    if kind == "dispatch":
        line = f"dispatch ({target}): {_dispatched(dispatch.dispatch(town))}"
        if target != "queue":
            mailed = dispatch.announce(town, target)
            line += f"; {mailed}" if mailed else ""
        return line
    scopes = sorted(state.frozen_scopes(town))
    # freezes what a stop covers, resumes the rest; after a lift, wakes and dispatches too
    done = estop.resume(town, after_lift=target == "thaw")
    return (f"estop ({', '.join(scopes) or 'nothing frozen'}): froze {len(done['frozen'])} "
            f"session(s), resumed {len(done['resumed'])}, woke {len(done['woken'])}, "
            f"{_dispatched(done['dispatched'])}")

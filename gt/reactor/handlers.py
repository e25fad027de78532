"""What each event calls for, and carrying it out.

| event                                   | effect                                          |
| --------------------------------------- | ----------------------------------------------- |
| an agent's `hook_bead` set              | start its session, or nudge it if live          |
| a message created for an agent          | nudge it if live (its next prime shows the mail) |
| a bead's `mr_state` becomes pending     | start the rig's Refinery if it is not running   |
| a bead closed                           | land the convoys that now have every bead closed |
|                                         | and sling a staged convoy's next wave           |
|                                         | and sling a convoy molecule's steps it unblocked |
| every `stranded.CHECK_EVERY` seconds    | sling a stranded convoy's ready work, or escalate |
| a hook freed, a bead queued, an e-stop, | the controls' effects (`gt.control.reactions`): |
| a rig parked                            | dispatch the queue, freeze or resume sessions   |
| a rejection, escalation, conflict, mail | wake the patrols that care (`gt.reactor.patrols`) |

Effects of one scan are coalesced per target: a burst of a thousand events makes one wake
and one nudge per agent, one Refinery start per rig. A wake is skipped when the agent's hook
is empty again by the time it is carried out (a reactor catching up on a sling later taken
back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from beads.errors import BeadsError
from beads.events import Event
from gt.agents import Address
from gt.control import reactions
from gt.control import state as control_state
from gt.errors import GtError
from gt.launch import start_refinery, wake
from gt.reactor import patrols
from gt.rig import Rig
from gt.town import Town
from gt.work import convoy, steps, stranded, waves
from gt.work.nudge import nudge
from gt.work.sling import ready_for_wake


@dataclass
class Effect:
    kind: str
    target: str
    keys: list[str] = field(default_factory=list)
    count: int = 0


def _set_fields(event: Event) -> dict[str, Any]:
    return dict(event.data.get("set") or {}) if event.op == "update" else {}


def classify(event: Event, agent_address: Callable[[str], str | None],
             ledger_name: str) -> list[tuple[str, str]]:
    """(kind, target) pairs this event calls for."""
    out: list[tuple[str, str]] = []
    changes = _set_fields(event)
    if changes.get("hook_bead"):
        address = agent_address(event.bead)
        if address:
            out.append(("wake", address))
    if event.op == "create":
        fields = event.data.get("fields") or {}
        if fields.get("issue_type") == "message" and fields.get("assignee"):
            out.append(("mail", str(fields["assignee"])))
    if changes.get("mr_state") == "pending" and ledger_name != "town":
        out.append(("refinery", ledger_name))
    if event.op == "close" or changes.get("status") == "closed":
        out.append(("land", event.bead))
    return out + reactions.classify(event, agent_address, ledger_name)


def coalesce(items: list[tuple[Event, str, str]]) -> list[Effect]:
    """One effect per (kind, target), carrying the keys of every event it stands for."""
    effects: dict[tuple[str, str], Effect] = {}
    for event, kind, target in items:
        effect = effects.setdefault((kind, target), Effect(kind, target))
        effect.keys.append(f"{event.eid}:{kind}:{target}")
        effect.count += 1
    return list(effects.values())


def perform(town: Town, effect: Effect) -> str:
    """Carry out one effect; returns a line for the log."""
    if effect.kind == "wake":
        address = Address.parse(effect.target)
        if (frozen := control_state.frozen(town, address.rig)) is not None:
            return f"wake {address}: skipped, {frozen}"
        if not ready_for_wake(town, address):
            return f"wake {address}: skipped, nothing is on its hook now"
        return f"wake {address}: {wake(town, address)}"
    if effect.kind == "mail":
        if effect.target == "overseer":
            return "mail for the overseer"
        address = Address.parse(effect.target)
        if not town.backend().is_live(address.session):
            return f"mail for {address}: not live, it reads mail at its next prime"
        plural = "s" if effect.count > 1 else ""
        result = nudge(town, address, f"You have {effect.count} new message{plural}: "
                                      "run `gt mail inbox`.", "gt")
        return f"mail for {address}: nudge {result}"
    if effect.kind == "refinery":
        if (frozen := control_state.frozen(town, effect.target)) is not None:
            return f"refinery of {effect.target}: not started, {frozen}"
        started = start_refinery(town, Rig(town, effect.target))
        return f"refinery of {effect.target}: {'started' if started else 'already running'}"
    if effect.kind == "land":
        landed = convoy.land_ready(town, effect.target)
        started = [f"{w['convoy']} wave {w['wave']}" for w in
                   waves.next_waves(town, effect.target)]
        moved = steps.advance(town, effect.target)
        return f"closed {effect.target}: " + (f"landed {', '.join(landed)}" if landed
                                               else "no convoy to land") \
            + (f"; started {', '.join(started)}" if started else "") \
            + "".join(f"; {line}" for line in moved)
    if effect.kind in reactions.KINDS:
        return reactions.perform(town, effect.kind, effect.target)
    if effect.kind == "patrol":
        return patrols.wake(town, effect.target, effect.count)
    raise GtError(f"unknown effect {effect.kind!r}")


def stranded_convoys(town: Town) -> list[str]:
    """Act on stranded convoys (the reactor calls this every `stranded.CHECK_EVERY` s)."""
    try:
        return stranded.act(town)
    except (BeadsError, OSError) as exc:
        return [f"stranded convoys: {exc.message if isinstance(exc, BeadsError) else exc}"]


def safely(town: Town, effect: Effect) -> str:
    try:
        return perform(town, effect)
    except (BeadsError, OSError) as exc:
        message = exc.message if isinstance(exc, BeadsError) else str(exc)
        return f"{effect.kind} {effect.target} failed: {message}"

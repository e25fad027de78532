"""Patrols woken by events: a patrol formula runs as a wisp attached to an agent, and the
reactor wakes that agent when an event of a kind the patrol cares about lands, so no agent
polls in a loop.

A patrol wisp is a molecule root in the overlay of the agent's ledger whose record names the
agent's bead (`attached_to`) and whose variables carry `wake_on` (comma-separated kinds:
`rejected`, `escalated`, `conflict`, `mail`). `gt mol patrol` makes one; finishing its last
step re-arms it for the next round (`gt.work.steps`). Only the waking is here: the agent
judges what to do (supervision's deterministic checks are the supervisor's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from beads.errors import BeadsError
from beads.events import Event
from beads.mol import record
from gt.errors import GtError
from gt.town import Town
from gt.work import cached

KINDS = ("rejected", "escalated", "conflict", "mail")


def kinds_of(event: Event) -> list[str]:
    """The patrol kinds an event is."""
    changes = dict(event.data.get("set") or {}) if event.op == "update" else {}
    found = []
    if changes.get("mr_state") in ("rejected", "conflict"):
        found.append(str(changes["mr_state"]))
    if changes.get("status") == "blocked" and changes.get("escalation"):
        found.append("escalated")
    if event.op == "create" and (event.data.get("fields") or {}).get("issue_type") == "message":
        found.append("mail")
    return found


@dataclass(frozen=True)
class Patrol:
    """One patrol wisp: the agent it wakes, its molecule and the kinds it cares about."""

    agent: str
    molecule: str
    formula: str
    wake_on: frozenset[str]


def wake_on(info: dict[str, Any]) -> frozenset[str]:
    text = str((info.get("vars") or {}).get("wake_on") or "")
    return frozenset(k.strip() for k in text.split(",") if k.strip() in KINDS)


def patrols(town: Town, ledger_paths: list[Any]) -> list[Patrol]:
    """Every active patrol wisp in the given ledgers (read from their caches)."""
    found = []
    for path in ledger_paths:
        try:
            db = cached.db_at(path)
            roots = record.roots(db)
        except (BeadsError, GtError, OSError):
            continue
        for root in roots:
            info = record.info_of(root) or {}
            agent_id = info.get("attached_to")
            kinds = wake_on(info)
            if not (root.get("ephemeral") and agent_id and kinds) \
                    or info.get("state", record.ACTIVE) != record.ACTIVE:
                continue
            agent = cached.bead(db, str(agent_id))
            if agent is not None and agent.get("issue_type") == "agent":
                found.append(Patrol(str(agent["title"]), str(root["id"]),
                                    str(info.get("formula", "")), kinds))
    return found


def effects(event: Event, watching: list[Patrol]) -> list[tuple[str, str]]:
    """(kind, target) pairs for the patrols this event wakes: target `<agent>@<molecule>`."""
    kinds = set(kinds_of(event))
    return [("patrol", f"{p.agent}@{p.molecule}") for p in watching if kinds & p.wake_on]


def wake(town: Town, target: str, count: int) -> str:
    """Wake a patrol's agent: the nudge is typed into its live session, or queued for its
    next prime and the session started."""
    from gt.agents import Address
    from gt.launch import wake as start_or_nudge
    from gt.work.nudge import enqueue, nudge

    agent, _, molecule = target.rpartition("@")
    address = Address.parse(agent)
    plural = "s" if count > 1 else ""
    text = (f"Your patrol has {count} new event{plural} to judge: run `gt mol current "
            f"--molecule {molecule}`.")
    if town.backend().is_live(address.session):
        return f"patrol {molecule} of {address}: nudge {nudge(town, address, text, 'gt')}"
    enqueue(town, address, text, "gt")
    return f"patrol {molecule} of {address}: {start_or_nudge(town, address)}"

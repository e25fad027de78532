"""Every agent of the town (`gt agents`): its bead in its scope's ledger, and whether its
session is live."""

from __future__ import annotations

from typing import Any

from beads.query import Filters
from gt.agents import Address
from gt.errors import GtError
from gt.rig import rigs
from gt.town import Town


def all_agents(town: Town) -> list[dict[str, Any]]:
    live = set(town.backend().names())
    ledgers = [town.ledger()] + [r.ledger() for r in rigs(town)]
    out = []
    for ledger in ledgers:
        for agent in ledger.list(Filters(types=["agent"]), sort="id", limit=None):
            try:
                address = Address.parse(agent["title"])
            except GtError:
                continue
            out.append({"agent": str(address), "id": agent["id"], "role": address.role,
                        "rig": address.rig, "home": agent.get("home"),
                        "state": agent.get("agent_state", "idle"),
                        "hook": agent.get("hook_bead"), "session": address.session,
                        "live": address.session in live})
    return out

"""Claims across clones: after two machines hooked one bead before syncing, exactly one
holds it.

The merged ledger settles the bead's assignee by canonical order (its last write wins); an
agent whose `hook_bead` names a bead that now belongs to someone else is un-hooked, and told
by mail.
"""

from __future__ import annotations

from beads import Ledger
from beads.errors import BeadsError
from beads.query import Filters
from gt.town import Town
from gt.work import mail


def reconcile(town: Town, ledger: Ledger) -> list[str]:
    """Un-hook agents that lost a bead in a merge; returns a line per agent told."""
    lines = []
    for agent in ledger.list(Filters(types=["agent"]), limit=None):
        bead_id = agent.get("hook_bead")
        if not bead_id:
            continue
        try:
            bead = ledger.get(bead_id)
        except BeadsError:
            continue
        holder = bead.get("assignee")
        if holder and holder != agent["title"]:
            ledger.update_many(f"{agent['title']} loses {bead_id} to {holder}",
                               {agent["id"]: {"hook_bead": None, "agent_state": "idle"}})
            mail.send(town, "gt", agent["title"], f"{bead_id} went to {holder}",
                      f"Another machine hooked {bead_id} to {holder} before the ledgers "
                      "synced; it is off your hook.")
            lines.append(f"{agent['title']} un-hooked from {bead_id} (held by {holder})")
    return lines

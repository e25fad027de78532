"""`gt handoff`: an agent leaves a note for its successor and its session restarts; the
successor's `gt prime` shows the note."""

from __future__ import annotations

from gt.agents import Address
from gt.launch import restart_soon
from gt.town import Town
from gt.whoami import agent_ledger


def handoff(town: Town, address: Address, note: str) -> None:
    ledger = agent_ledger(town, address, str(address))
    ledger.update_many(f"{address} hands off", {address.bead_id(ledger.prefix):
                                                {"handoff_note": note or None}})
    if town.backend().is_live(address.session):
        restart_soon(town, address)

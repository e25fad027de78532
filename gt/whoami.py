"""Who is running a gt command: the agent named by $GT_AGENT, or the one whose directory this is."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from gt.agents import OVERSEER, Address
from gt.errors import GtError
from gt.rig import Rig
from gt.town import Town

if TYPE_CHECKING:
    from beads.ledger import Ledger


def current_agent(town: Town, cwd: Path | None = None) -> Address | None:
    env = os.environ.get("GT_AGENT")
    if env:
        return Address.parse(env)
    here = (cwd or Path.cwd()).resolve()
    try:
        parts = here.relative_to(town.root).parts
    except ValueError:
        return None
    if parts[:1] in (("mayor",), ("deacon",)):
        return Address(parts[0])
    if len(parts) >= 3 and parts[0] in town.rig_names():
        if parts[1] == "polecats":
            return Address("polecat", parts[0], parts[2])
        if parts[1] == "crew":
            return Address("crew", parts[0], parts[2])
    if len(parts) >= 2 and parts[0] in town.rig_names() and parts[1] == "refinery":
        return Address("refinery", parts[0])
    return None


def require_agent(town: Town, cwd: Path | None = None) -> Address:
    address = current_agent(town, cwd)
    if address is None:
        raise GtError("cannot tell which agent you are: run inside an agent's directory or "
                      "set GT_AGENT")
    return address


def named_or_current(town: Town, address: str | None) -> Address:
    """The agent `address` names, else the one running this command."""
    return Address.parse(address) if address else require_agent(town)


def actor(town: Town) -> str:
    """Who acts in the ledger for this command: the agent running it, else the overseer."""
    return str(current_agent(town) or OVERSEER)


def agent_ledger(town: Town, address: Address, actor: str | None = None) -> Ledger:
    """The ledger that holds the agent's bead: the town's, or its rig's."""
    if address.rig is None:
        return town.ledger(actor)
    return Rig(town, address.rig).ledger(actor)


def workdir(town: Town, address: Address) -> Path:
    if address.rig is None:
        return town.root / address.role
    rig = Rig(town, address.rig)
    if address.role == "polecat":
        return rig.polecat_dir(str(address.name))
    if address.role == "crew":
        return rig.path / "crew" / str(address.name)
    if address.role == "refinery":
        return rig.refinery_dir
    return rig.path

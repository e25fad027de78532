"""Agent identities: addresses (`mayor`, `<rig>/polecats/<name>`), their beads and sessions.

Every agent is a bead of type agent in the ledger of its scope (the town's for the Mayor and
Deacon, the rig's for the rest), with fields `role`, `rig`, `agent_state` and `hook_bead`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from beads.errors import NotFound
from gt.errors import GtError

if TYPE_CHECKING:
    from beads.ledger import Ledger

OVERSEER = "overseer"  # the person: not an agent, but has an inbox and acts in the ledger
TOWN_ROLES = ("mayor", "deacon")
RIG_ROLES = ("witness", "refinery")
NAMED_ROLES = {"polecats": "polecat", "crew": "crew"}
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")
POLECAT_NAMES = ("nux", "slit", "furiosa", "capable", "toast", "dag", "cheedo", "ace",
                 "rictus", "keeper", "valkyrie", "morsov", "splendid", "angharad", "scrotus",
                 "corpus", "organic", "coma", "miss-giddy", "bullet")


@dataclass(frozen=True)
class Address:
    """Where an agent lives: `mayor`, `gastown/witness`, `gastown/polecats/nux`."""

    role: str
    rig: str | None = None
    name: str | None = None

    @classmethod
    def parse(cls, text: str) -> Address:
        parts = text.strip().strip("/").split("/")
        if len(parts) == 1 and parts[0] in TOWN_ROLES:
            return cls(parts[0])
        if len(parts) == 2 and parts[1] in RIG_ROLES and NAME_RE.match(parts[0]):
            return cls(parts[1], parts[0])
        if len(parts) == 3 and parts[1] in NAMED_ROLES and NAME_RE.match(parts[0]) \
                and NAME_RE.match(parts[2]):
            return cls(NAMED_ROLES[parts[1]], parts[0], parts[2])
        raise GtError(f"not an agent address: {text!r} (use mayor, deacon, <rig>/witness, "
                      "<rig>/refinery, <rig>/polecats/<name> or <rig>/crew/<name>)")

    def __str__(self) -> str:
        if self.rig is None:
            return self.role
        if self.name is None:
            return f"{self.rig}/{self.role}"
        group = "polecats" if self.role == "polecat" else "crew"
        return f"{self.rig}/{group}/{self.name}"

    def bead_id(self, prefix: str) -> str:
        parts = [prefix, *(p for p in (self.rig, self.role, self.name) if p)]
        return "-".join(parts)

    @property
    def session(self) -> str:
        parts = ["gt", *(p for p in (self.rig, self.name or self.role) if p)]
        if self.role == "crew":
            parts.insert(-1, "crew")
        return "-".join(parts)


def agent_bead(ledger: Ledger, address: Address) -> dict[str, Any] | None:
    try:
        return ledger.get(address.bead_id(ledger.prefix))
    except NotFound:
        return None


def ensure_agent(ledger: Ledger, address: Address, runtime: str | None = None,
                 home: str | None = None) -> dict[str, Any]:
    """The agent's bead, created (idle, nothing hooked, homed on `home`) the first time."""
    existing = agent_bead(ledger, address)
    if existing is not None:
        return existing
    return ledger.create(str(address), bead_id=address.bead_id(ledger.prefix),
                         **agent_fields(address, runtime, home))


def agent_fields(address: Address, runtime: str | None = None,
                 home: str | None = None) -> dict[str, Any]:
    """A new agent bead's fields: idle, nothing hooked, homed on `home`."""
    fields: dict[str, Any] = {"issue_type": "agent", "role": address.role,
                              "agent_state": "idle"}
    if home:
        fields["home"] = home
    if address.rig:
        fields["rig"] = address.rig
    if runtime:
        fields["runtime"] = runtime
    return fields


def homed_here(agent: dict[str, Any], machine: str) -> bool:
    """Whether this machine runs the agent: its home, or no home recorded."""
    return not agent.get("home") or agent["home"] == machine

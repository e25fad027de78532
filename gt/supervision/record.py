"""Every supervisor action as a ledger event carrying its evidence: one commit on the agent's
ledger with a comment on the agent bead (the action, the state judged and every signal with
its value, as JSON) and the agent's `supervision` field, so `git log` and `bd show` explain
every restart, nudge, stop and escalation."""

from __future__ import annotations

import json
from typing import Any

from beads.model import now_iso
from beads.store import Intent
from beads.view import View
from gt.agents import Address
from gt.supervision.judge import Verdict
from gt.town import Town
from gt.whoami import agent_ledger

ACTIONS = ("restart", "nudge", "stop", "park", "escalate", "reap", "release", "unlock")


def supervisor_of(address: Address) -> str:
    """Who acts: the rig's Witness for a rig's agents, the Deacon for the town's."""
    return f"{address.rig}/witness" if address.rig else "deacon"


def record(town: Town, address: Address, action: str, verdict: Verdict,
           fields: dict[str, Any] | None = None, detail: str = "") -> None:
    """Commit the action with its evidence (and `fields` set on the agent bead)."""
    actor = supervisor_of(address)
    ledger = agent_ledger(town, address, actor)
    agent_id = address.bead_id(ledger.prefix)
    entry = {"action": action, "state": verdict.state, "at": now_iso(), "detail": detail,
             "evidence": verdict.evidence}
    text = f"supervisor {action} ({verdict.state}): {json.dumps(entry, sort_keys=True)}"

    def plan(view: View) -> tuple[list[Intent], Any]:
        changes = {"supervision": {"action": action, "state": verdict.state,
                                   "at": entry["at"]}, **(fields or {})}
        return [Intent("comment.add", agent_id, {"text": text}),
                Intent("update", agent_id, {"set": changes})], None

    ledger.write_plan(f"{actor}: {action} {address} ({verdict.state})", plan)

"""Stranded convoys, acted on: ready work with no agent on it is slung (each bead to its
rig); a convoy without progress for `stranded_after` seconds is escalated, once per stall
(the convoy records the activity it was escalated at, `stranded_escalated`). The reactor
runs `act` every `CHECK_EVERY` seconds; `gt status` and `gt feed --problems` show the same
convoys through `gt.townview`."""

from __future__ import annotations

from typing import Any

from beads.errors import BeadsError
from gt.supervision import escalation
from gt.town import Town
from gt.townview import parts
from gt.townview.ledgers import ledgers
from gt.work.waves import sling_beads

CHECK_EVERY = 30.0


def find(town: Town) -> list[dict[str, Any]]:
    """The stranded open convoys, as `gt status` shows them."""
    rows = parts.convoys(ledgers(town), town.settings.stranded_after,
                         town.settings.stranded_ready_after)
    return [row for row in rows if row["stranded"]]


def escalate(town: Town, subject: str, body: str) -> str:
    """Ask a person to look: the one place stranded work is escalated (`gt escalate`, routed
    as the town's settings say: the Mayor's mail first)."""
    raised = escalation.escalate(town, "high", f"{subject}: {body}", "gt")
    return f"escalated ({raised['id']})"


def act(town: Town) -> list[str]:
    """Sling ready work of stranded convoys, escalate those without progress; a line each."""
    lines = []
    for row in find(town):
        if row["stranded_kind"] == "ready":
            for result in sling_beads(town, row["ready"], "gt"):
                outcome = result.get("error") or f"slung to {result['agent']}"
                lines.append(f"stranded {row['id']}: {result['bead']} {outcome}")
            continue
        if row["escalated"] == row["last_activity"]:
            continue  # escalated already for this stall
        try:
            done = escalate(town, f"Convoy stranded: {row['title']}"[:500],
                            f"{row['id']}: {row['stranded']}; {row['closed']}/{row['total']} "
                            "closed. Look at its beads with `gt convoy status "
                            f"{row['id']}`.")
            town.ledger("gt").update(row["id"], {"stranded_escalated": row["last_activity"]})
        except BeadsError as error:
            done = f"could not escalate: {error.message}"
        lines.append(f"stranded {row['id']}: {done}")
    return lines

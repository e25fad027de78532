"""Staged convoys: a convoy whose beads come in waves (fields `waves`, a list of lists of
bead ids, and `wave`, how many waves are launched). `launch` slings the first wave; when
every bead of the launched waves is closed, the next wave is slung (the reactor calls
`next_waves` on every close). Moving to the next wave is a compare-and-swap on `wave`, so a
wave is slung once however many callers see the close."""

from __future__ import annotations

from typing import Any

from beads.errors import BeadsError
from beads.store import Intent
from beads.view import View
from gt.agents import OVERSEER
from gt.errors import GtError
from gt.town import Town
from gt.work import convoy
from gt.work.sling import sling


def stage(town: Town, name: str, waves: list[list[str]], owner: str = OVERSEER,
          actor: str = "gt", strategy: str | None = None) -> dict[str, Any]:
    """A convoy in waves: it tracks every bead now, and `launch` slings the first wave; each
    next wave is slung when the one before has landed (every bead closed)."""
    waves = [wave for wave in waves if wave]
    if not waves:
        raise GtError("a staged convoy needs at least one wave of beads (--wave a,b)")
    ids = [bead for wave in waves for bead in wave]
    if len(set(ids)) != len(ids):
        raise GtError("a bead appears in two waves")
    created = convoy.create(town, name, ids, owner=owner, actor=actor, strategy=strategy)
    town.ledger(actor).update(created["id"], {"waves": waves, "wave": 0})
    return convoy.status(town, created["id"])


def _advance(town: Town, convoy_id: str, expected: int, actor: str) -> bool:
    """Move the convoy from wave `expected` to the next, once (compare-and-swap)."""
    ledger = town.ledger(actor)

    def plan(view: View) -> tuple[list[Intent], Any]:
        current = view.live(convoy_id)
        if current is None or current["status"] == "closed" \
                or int(current.get("wave") or 0) != expected:
            return [], False
        return [Intent("update", convoy_id, {"set": {"wave": expected + 1}})], True

    return bool(ledger.write_plan(f"convoy {convoy_id}: wave {expected + 1}", plan))


def sling_beads(town: Town, beads: list[str], actor: str) -> list[dict[str, Any]]:
    """Sling each bead to a polecat of the rig its id names; a result (or error) each."""
    results = []
    prefixes = {settings.prefix: name for name, settings in town.settings.rigs.items()}
    for bead_id in beads:
        rig = prefixes.get(bead_id.split("-", 1)[0])
        if rig is None:
            results.append({"bead": bead_id, "error": "not a rig's bead"})
            continue
        try:
            slung = sling(town, bead_id, rig, convoy=False, actor=actor)
            results.append({"bead": bead_id, "agent": slung.agent, "wake": slung.wake})
        except BeadsError as error:
            results.append({"bead": bead_id, "error": error.message})
    return results


def launch(town: Town, convoy_id: str, actor: str = "gt") -> dict[str, Any]:
    """Sling the first wave of a staged convoy."""
    staged = convoy.open_convoy(town, convoy_id, actor)
    waves = staged.get("waves") or []
    if not waves:
        raise GtError(f"convoy {staged['id']} is not staged (gt convoy stage makes waves)")
    if int(staged.get("wave") or 0) != 0 or not _advance(town, staged["id"], 0, actor):
        raise GtError(f"convoy {staged['id']} was launched already")
    return {"convoy": staged["id"], "wave": 1, "slung": sling_beads(town, waves[0], actor)}


def next_waves(town: Town, bead_id: str) -> list[dict[str, Any]]:
    """After `bead_id` closed: for each staged convoy tracking it whose launched waves are
    now all closed, sling the next wave (once, whoever calls: the reactor does)."""
    started = []
    for item in convoy.tracking(town, bead_id):
        waves = item.get("waves") or []
        wave = int(item.get("wave") or 0)
        if not waves or wave == 0 or wave >= len(waves):
            continue
        done = convoy.status(town, item["id"])
        closed = {b["id"] for b in done["beads"] if b["status"] == "closed"}
        if all(b in closed for w in waves[:wave] for b in w) \
                and _advance(town, item["id"], wave, "gt"):
            started.append({"convoy": item["id"], "wave": wave + 1,
                            "slung": sling_beads(town, waves[wave], "gt")})
    return started

"""One read of the whole town: the dict that `gt status --json` prints and the dashboard
draws. `read(town)` opens each ledger's cache once and asks the session backend once which
sessions are live."""

from __future__ import annotations

import time
from typing import Any

from gt.town import Town
from gt.townview import health, parts, problems
from gt.townview.ledgers import LedgerView, ledgers


def read(town: Town, views: list[LedgerView] | None = None,
         detail: int = 0) -> dict[str, Any]:
    """The town as data, problems first. With `detail`, work and mail carry up to that many
    beads each (the dashboard's lists); without, counts only."""
    views = views or ledgers(town)
    live = set(town.backend().names())
    agents = parts.agents(town, views, live)
    queues = [parts.merge_queue(view) for view in views[1:]]
    states: dict[str, int] = {}
    for agent in agents:
        states[agent["state"]] = states.get(agent["state"], 0) + 1
    snapshot: dict[str, Any] = {
        "town": town.name, "root": str(town.root), "at": time.time(),
        "tips": {view.name: view.tip for view in views},
        "rigs": [{"name": view.name, "prefix": view.prefix,
                  "branch": town.settings.rigs[view.name].branch,
                  "strategy": town.settings.rigs[view.name].strategy}
                 for view in views[1:]],
        "agents": agents, "agent_states": states,
        "sessions": sorted(live),
        "convoys": parts.convoys(views, town.settings.stranded_after,
                                 town.settings.stranded_ready_after),
        "work": parts.work(views, detail),
        "merge_queues": queues,
        "refineries": [health.refinery(q["rig"], live, q) for q in queues],
        "escalations": parts.escalations(views),
        "mail": parts.mail(views[0], limit=detail),
        "reactor": health.reactor(town, views),
    }
    snapshot["ledger_problems"] = {view.name: view.problems for view in views if view.problems}
    return {"problems": problems.find(snapshot), **snapshot}

"""The activity panel's events: the newest commits of every ledger, newest first, read
with pygit2 from each tip (bounded: the dashboard never walks a whole history)."""

from __future__ import annotations

from typing import Any

import pygit2

from beads.events import parse_message
from gt.townview.ledgers import LedgerView


def recent(views: list[LedgerView], limit: int = 40) -> list[dict[str, Any]]:
    rows = []
    for view in views:
        if not view.tip:
            continue
        repo = pygit2.Repository(str(view.git_dir))
        walker = repo.walk(view.tip, pygit2.enums.SortMode.TIME)
        for count, commit in enumerate(walker):
            if count >= limit:
                break
            events = parse_message(commit.message)
            rows.append({"ledger": view.name, "commit": str(commit.id), "time": commit.commit_time,
                         "actor": commit.author.name, "summary": commit.message.split("\n", 1)[0],
                         "ops": sorted({e.op for e in events}),
                         "beads": sorted({e.bead for e in events})[:5]})
    rows.sort(key=lambda r: r["time"], reverse=True)
    return rows[:limit]

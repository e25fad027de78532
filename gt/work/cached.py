"""Reads of a town's ledgers through their read caches only.

For the commands an agent runs most (`gt prime`, `gt mol current`): each ledger's cache is
brought up to date only when its ref moved (`beads.reader`), so on a current cache nothing
here loads pygit2 (about 100 ms). Writes go through `beads.Ledger` as everywhere else.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from beads import canonical, gitdir, query
from beads.errors import BeadsError
from beads.reader import Reader
from gt.agents import Address
from gt.rig import Rig
from gt.town import TOWN_PREFIX, Town

_readers: dict[str, Reader] = {}


def db_at(path: Path) -> sqlite3.Connection:
    """The current read cache of the ledger at `path` (opened once per process)."""
    key = str(path)
    if key not in _readers:
        _readers[key] = Reader(gitdir.find(path))
    return _readers[key].current()


def ledger_path(town: Town, address: Address) -> Path:
    """Where the agent's bead lives: the town's ledger, or its rig's."""
    return town.root if address.rig is None else Rig(town, address.rig).repo


def agent_db(town: Town, address: Address) -> sqlite3.Connection:
    return db_at(ledger_path(town, address))


def bead(db: sqlite3.Connection, bead_id: str) -> dict[str, Any] | None:
    """The bead with exactly this id, or None."""
    try:
        return query.get(db, bead_id)
    except BeadsError:
        return None


def agent(town: Town, address: Address) -> dict[str, Any] | None:
    db = agent_db(town, address)
    return bead(db, address.bead_id(_prefix(town, address)))


def hooked(town: Town, address: Address) -> dict[str, Any] | None:
    """The bead on the agent's hook, or None (as `gt.work.sling.hooked`, from the cache)."""
    found = agent(town, address)
    bead_id = (found or {}).get("hook_bead")
    return bead(agent_db(town, address), bead_id) if bead_id else None


def unread_mail(town: Town, recipient: str) -> list[dict[str, Any]]:
    """Open messages to `recipient` still labelled unread, oldest first."""
    filters = query.Filters(types=["message"], assignee=recipient, include_closed=False,
                            labels_all=["unread"])
    rows = query.list_docs(db_at(town.root), filters, "created", False, None)
    return [canonical.loads(row) for row in rows]


def _prefix(town: Town, address: Address) -> str:
    if address.rig is None:
        return TOWN_PREFIX
    return Rig(town, address.rig).prefix

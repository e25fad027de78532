"""Molecules across the ledger: every molecule with its progress, and the stale ones.

Reads the cache only (`record.roots`), so it never loads pygit2.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from beads.mol import progress, record


def molecules(db: sqlite3.Connection, include_finished: bool = False) -> list[dict[str, Any]]:
    """Each molecule's summary, oldest first; by default only open, active ones."""
    out = []
    for root in record.roots(db):
        molecule = record.from_root(db, root)
        if include_finished or (root.get("status") != "closed"
                                and molecule.state == record.ACTIVE):
            out.append(progress.summary(molecule))
    return out


def stale(db: sqlite3.Connection, idle_seconds: float,
          now: datetime | None = None) -> list[dict[str, Any]]:
    """Open molecules whose steps are all done, or where nothing moved for `idle_seconds`."""
    moment = now or datetime.now(UTC)
    out = []
    for root in record.roots(db):
        molecule = record.from_root(db, root)
        why = progress.staleness(molecule, idle_seconds, moment)
        if why is not None:
            out.append({**progress.summary(molecule), "reason": why,
                        "last_activity": progress.last_activity(molecule)})
    return out

"""What holds beads back, computed from the read cache's rows.

The rules: an open `blocks` target holds its dependent; a `conditional-blocks` target holds
it unless that target closed as failed; a `waits-for` target holds it while its children are
open (all of them with gate `all`, the default; any of them with gate `any`); a held bead
holds its open children ("parent blocked"), down the hierarchy. Closed beads are never held.

`beads.cache` stores the result (table `held`) in every transaction that changes the cache,
beside the rows it follows from, so a read never walks the graph: `ready` is one indexed
query (`beads.readsql`), and `show`, `blocked` and `stats` read the stored reasons.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from beads import canonical

Held = dict[str, list[tuple[str, str]]]


def compute(db: sqlite3.Connection) -> Held:
    """Every non-closed bead that something holds back -> [(blocker id, reason)], in order."""
    held: Held = defaultdict(list)
    rows = db.execute(
        "SELECT d.id, d.target, d.type, t.status, t.close_failed FROM deps d "
        "JOIN beads s ON s.id = d.id JOIN beads t ON t.id = d.target "
        "WHERE s.status != 'closed' AND d.type IN ('blocks', 'conditional-blocks')")
    for bead, target, dep_type, status, failed in rows:
        if dep_type == "blocks" and status != "closed":
            held[bead].append((target, "blocks"))
        elif dep_type == "conditional-blocks" and not (status == "closed" and failed):
            held[bead].append((target, "runs only if it fails"))
    waits = db.execute(
        "SELECT d.id, d.target, d.metadata FROM deps d JOIN beads s ON s.id = d.id "
        "WHERE d.type = 'waits-for' AND s.status != 'closed'").fetchall()
    for bead, target, metadata in waits:
        children = db.execute("SELECT status FROM beads WHERE parent = ?", (target,)).fetchall()
        open_children = sum(1 for (status,) in children if status != "closed")
        gate = _gate(metadata)
        if children and (open_children if gate == "all" else open_children == len(children)):
            held[bead].append((target, f"waits for {gate} children"))
    frontier = list(held)
    while frontier:
        level, frontier = frontier, []
        for start in range(0, len(level), 500):
            chunk = level[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for child, parent in db.execute(
                    f"SELECT id, parent FROM beads WHERE parent IN ({marks}) "
                    "AND status != 'closed'", chunk):
                if any(reason == "parent blocked" for _, reason in held.get(child, ())):
                    continue
                if child not in held:
                    frontier.append(child)
                held[child].append((parent, "parent blocked"))
    return dict(held)


def _gate(metadata: str | None) -> str:
    try:
        value = canonical.loads(metadata or "null")
    except ValueError:
        return "all"
    if isinstance(value, dict) and value.get("gate") in ("all", "any"):
        return value["gate"]
    return "all"


def store(db: sqlite3.Connection) -> None:
    """Recompute `held` from the rows (inside the caller's transaction)."""
    held = compute(db)
    db.execute("DELETE FROM held")
    db.executemany("INSERT INTO held (id, blocker, reason) VALUES (?, ?, ?)",
                   [(bead, blocker, reason) for bead, reasons in held.items()
                    for blocker, reason in reasons])


def stored(db: sqlite3.Connection, bead_id: str | None = None) -> Held:
    """What `store` recorded: for one bead, or for all."""
    if bead_id is None:
        rows = db.execute("SELECT id, blocker, reason FROM held ORDER BY rowid")
    else:
        rows = db.execute("SELECT id, blocker, reason FROM held WHERE id = ? ORDER BY rowid",
                          (bead_id,))
    held: Held = {}
    for bead, blocker, reason in rows:
        held.setdefault(bead, []).append((blocker, reason))
    return held

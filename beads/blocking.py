"""What holds beads back, computed from the read cache's rows.

The rules: an open `blocks` target holds its dependent; a `conditional-blocks` target holds
it unless that target closed as failed; a `waits-for` target holds it while its children are
open (all of them with gate `all`, the default; any of them with gate `any`); a held bead
holds its open children ("parent blocked"), down the hierarchy. Closed beads are never held.

`beads.cache` keeps the result (table `held`) beside the rows it follows from, so a read
never walks the graph: `ready` is one indexed query (`beads.readsql`), and `show`, `blocked`
and `stats` read the stored reasons. A transaction that changes the cache recomputes only
what can follow from the beads it changed (`update`); `compute` derives the whole table.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Collection, Iterator

from beads import canonical

Held = dict[str, list[tuple[str, str]]]
PARENT_BLOCKED = "parent blocked"


def compute(db: sqlite3.Connection) -> Held:
    """Every non-closed bead that something holds back -> [(blocker id, reason)], in order."""
    held: Held = defaultdict(list)
    rows = db.execute(
        "SELECT d.id, d.target, d.type, t.status, t.close_failed FROM deps d "
        "JOIN beads s ON s.id = d.id JOIN beads t ON t.id = d.target "
        "WHERE s.status != 'closed' AND d.type IN ('blocks', 'conditional-blocks') "
        "ORDER BY d.rowid")
    for bead, target, dep_type, status, failed in rows:
        reason = _dep_reason(dep_type, status, failed)
        if reason is not None:
            held[bead].append((target, reason))
    waits = db.execute(
        "SELECT d.id, d.target, d.metadata FROM deps d JOIN beads s ON s.id = d.id "
        "WHERE d.type = 'waits-for' AND s.status != 'closed' ORDER BY d.rowid").fetchall()
    for bead, target, metadata in waits:
        reason = _waits_reason(db, target, metadata)
        if reason is not None:
            held[bead].append((target, reason))
    frontier = list(held)
    while frontier:
        level, frontier = frontier, []
        for child, parent in _open_children(db, level):
            if any(reason == PARENT_BLOCKED for _, reason in held.get(child, ())):
                continue
            if child not in held:
                frontier.append(child)
            held[child].append((parent, PARENT_BLOCKED))
    return dict(held)


def _dep_reason(dep_type: str, status: str | None, failed: int | None) -> str | None:
    if dep_type == "blocks" and status != "closed":
        return "blocks"
    if dep_type == "conditional-blocks" and not (status == "closed" and failed):
        return "runs only if it fails"
    return None


def _waits_reason(db: sqlite3.Connection, target: str, metadata: str | None) -> str | None:
    children = db.execute("SELECT status FROM beads WHERE parent = ?", (target,)).fetchall()
    open_children = sum(1 for (status,) in children if status != "closed")
    gate = _gate(metadata)
    if children and (open_children if gate == "all" else open_children == len(children)):
        return f"waits for {gate} children"
    return None


def _open_children(db: sqlite3.Connection, parents: Collection[str]
                   ) -> Iterator[tuple[str, str]]:
    """(child, parent) for every open child of `parents`."""
    for chunk in _chunks(parents):
        marks = ",".join("?" * len(chunk))
        yield from db.execute(f"SELECT id, parent FROM beads WHERE parent IN ({marks}) "
                              "AND status != 'closed'", chunk)


def _chunks(ids: Collection[str], size: int = 500) -> Iterator[list[str]]:
    items = list(ids)
    for start in range(0, len(items), size):
        yield items[start:start + size]


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


# Past this many changed beads one pass over everything costs less than following each.
WHOLE_AFTER = 2000


def update(db: sqlite3.Connection, changed: Collection[str], parents: Collection[str]) -> None:
    """Bring `held` up to date after the rows of the beads `changed` (status, close_failed,
    type, parent, deps; added or removed) changed, inside the caller's transaction.

    `parents` holds the parents those beads had before and have now. Only what can follow
    from the change is recomputed: the changed beads, their `blocks`/`conditional-blocks`
    dependents, the `waits-for` dependents of those parents, and down the hierarchy every
    bead whose parent's held-ness changed. The descendants that held-ness may have reached
    them through are first set aside and then derived again, so a hold that is gone does not
    keep a cycle of parents holding itself.
    """
    if not changed:
        return
    if len(changed) > WHOLE_AFTER:
        store(db)
        return
    recheck = set(changed) | _dependents(db, changed, parents)
    direct = {bead: _direct(db, bead) for bead in recheck}
    unsettled = _unsettled(db, recheck)
    for bead, reasons in _stored_in(db, unsettled - recheck).items():
        direct[bead] = [(blocker, why) for blocker, why in reasons if why != PARENT_BLOCKED]
    rows = _rows_of(db, unsettled)
    outside_parents = {parent for _, parent in rows.values()
                       if parent is not None and parent not in unsettled}
    held_parents = _held_among(db, outside_parents)
    parent_blocked: dict[str, str] = {}
    now_held: set[str] = set()
    for bead in unsettled:
        status, parent = rows.get(bead, (None, None))
        if not _open(status):
            continue
        if parent in held_parents:
            parent_blocked[bead] = parent
        if direct.get(bead) or bead in parent_blocked:
            now_held.add(bead)
    gained: list[tuple[str, str]] = []
    frontier = list(now_held)
    while frontier:
        level, frontier = frontier, []
        for child, parent in _open_children(db, level):
            if child in parent_blocked:
                continue
            parent_blocked[child] = parent
            if child in unsettled:
                if child not in now_held:
                    now_held.add(child)
                    frontier.append(child)
                continue
            gained.append((child, parent))
            if not _held_among(db, [child]):
                frontier.append(child)
    for chunk in _chunks(unsettled):
        db.execute(f"DELETE FROM held WHERE id IN ({','.join('?' * len(chunk))})", chunk)
    fresh = []
    for bead in sorted(unsettled):
        if not _open(rows.get(bead, (None, None))[0]):
            continue
        fresh += [(bead, blocker, why) for blocker, why in direct.get(bead, ())]
        if bead in parent_blocked:
            fresh.append((bead, parent_blocked[bead], PARENT_BLOCKED))
    fresh += [(child, parent, PARENT_BLOCKED) for child, parent in gained]
    db.executemany("INSERT INTO held (id, blocker, reason) VALUES (?, ?, ?)", fresh)


def _dependents(db: sqlite3.Connection, changed: Collection[str],
                parents: Collection[str]) -> set[str]:
    """Beads whose own reasons follow from the changed beads or from those parents' children."""
    found: set[str] = set()
    for chunk in _chunks(changed):
        marks = ",".join("?" * len(chunk))
        found.update(bead for (bead,) in db.execute(
            f"SELECT id FROM deps WHERE target IN ({marks}) "
            "AND type IN ('blocks', 'conditional-blocks')", chunk))
    for chunk in _chunks(parents):
        marks = ",".join("?" * len(chunk))
        found.update(bead for (bead,) in db.execute(
            f"SELECT id FROM deps WHERE target IN ({marks}) AND type = 'waits-for'", chunk))
    return found


def _direct(db: sqlite3.Connection, bead: str) -> list[tuple[str, str]]:
    """What holds one bead back by its own links (not through its parent)."""
    row = db.execute("SELECT status FROM beads WHERE id = ?", (bead,)).fetchone()
    if row is None or not _open(row[0]):
        return []
    reasons = []
    for target, dep_type, status, failed in db.execute(
            "SELECT d.target, d.type, t.status, t.close_failed FROM deps d "
            "JOIN beads t ON t.id = d.target WHERE d.id = ? "
            "AND d.type IN ('blocks', 'conditional-blocks') ORDER BY d.rowid", (bead,)):
        reason = _dep_reason(dep_type, status, failed)
        if reason is not None:
            reasons.append((target, reason))
    for target, metadata in db.execute(
            "SELECT target, metadata FROM deps WHERE id = ? AND type = 'waits-for' "
            "ORDER BY rowid", (bead,)).fetchall():
        reason = _waits_reason(db, target, metadata)
        if reason is not None:
            reasons.append((target, reason))
    return reasons


def _unsettled(db: sqlite3.Connection, recheck: set[str]) -> set[str]:
    """The rechecked beads plus every descendant held, before the change, through one of
    them: its held-ness is derived again."""
    unsettled = set(recheck)
    frontier = list(_held_among(db, recheck))
    while frontier:
        level, frontier = frontier, []
        for chunk in _chunks(level):
            marks = ",".join("?" * len(chunk))
            for (child,) in db.execute(
                    f"SELECT b.id FROM beads b WHERE b.parent IN ({marks}) "
                    "AND EXISTS (SELECT 1 FROM held h WHERE h.id = b.id)", chunk):
                if child not in unsettled:
                    unsettled.add(child)
                    frontier.append(child)
    return unsettled


def _open(status: str | None) -> bool:
    """As sqlite reads `status != 'closed'`: a bead with no status is not open."""
    return status is not None and status != "closed"


def _held_among(db: sqlite3.Connection, beads: Collection[str]) -> set[str]:
    """Which of these beads the stored table holds back."""
    found: set[str] = set()
    for chunk in _chunks(beads):
        marks = ",".join("?" * len(chunk))
        found.update(bead for (bead,) in db.execute(
            f"SELECT DISTINCT id FROM held WHERE id IN ({marks})", chunk))
    return found


def _stored_in(db: sqlite3.Connection, beads: Collection[str]) -> Held:
    held: Held = {}
    for chunk in _chunks(beads):
        marks = ",".join("?" * len(chunk))
        for bead, blocker, reason in db.execute(
                f"SELECT id, blocker, reason FROM held WHERE id IN ({marks}) ORDER BY rowid",
                chunk):
            held.setdefault(bead, []).append((blocker, reason))
    return held


def _rows_of(db: sqlite3.Connection, beads: Collection[str]) -> dict[str, tuple[str, str | None]]:
    """Status and parent of each of these beads that exists."""
    rows: dict[str, tuple[str, str | None]] = {}
    for chunk in _chunks(beads):
        marks = ",".join("?" * len(chunk))
        for bead, status, parent in db.execute(
                f"SELECT id, status, parent FROM beads WHERE id IN ({marks})", chunk):
            rows[bead] = (status, parent)
    return rows


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

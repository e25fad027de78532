"""Queries over the read cache: list, ready, blocked, search, stats, id resolution, graphs.

Everything here reads sqlite only (no pygit2), so read commands stay fast when the cache
is current. What holds beads back is stored in the cache by every write (`beads.blocking`);
the SQL of `ready` and `list` is `beads.readsql`, shared with the fast read path.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from beads import blocking, canonical, readsql
from beads.errors import AmbiguousId, InvalidInput, NotFound
from beads.ids import check_id
from beads.model import BLOCKING_DEP_TYPES

SORTS = ("priority", "created", "updated", "status", "id", "title")
READY_SORTS = ("priority", "hybrid", "oldest")


def resolve(db: sqlite3.Connection, partial: str) -> str:
    """The one id that `partial` names: exact, a prefix, or the start of the hash part."""
    check_id(partial)
    if db.execute("SELECT 1 FROM beads WHERE id=?", (partial,)).fetchone():
        return partial
    rows = db.execute(
        "SELECT id FROM beads WHERE substr(id, 1, length(:p)) = :p "
        "OR instr(id, '-' || :p) > 0 ORDER BY id", {"p": partial}).fetchall()
    candidates = [r[0] for r in rows]
    if "." not in partial:
        roots = [c for c in candidates if "." not in c]
        candidates = roots or candidates
    if not candidates:
        raise NotFound(f"no bead matches {partial!r}")
    if len(candidates) > 1:
        shown = ", ".join(candidates[:10]) + (" …" if len(candidates) > 10 else "")
        raise AmbiguousId(f"{partial!r} is ambiguous: {shown}", candidates=candidates)
    return candidates[0]


def get(db: sqlite3.Connection, bead_id: str) -> dict[str, Any]:
    row = db.execute("SELECT doc FROM docs WHERE id=?", (bead_id,)).fetchone()
    if row is None:
        raise NotFound(f"no bead {bead_id!r}")
    return canonical.loads(row[0])


def details(db: sqlite3.Connection, partial: str) -> dict[str, Any]:
    """A bead with what depends on it and what holds it back (for `show`)."""
    bead_id = resolve(db, partial)
    bead = get(db, bead_id)
    bead["dependents"] = [{"id": i, "type": t} for i, t in dependents_of(db, bead_id)]
    held = blocking.stored(db, bead_id).get(bead_id, [])
    bead["blocked_by"] = [{"id": i, "reason": r} for i, r in held]
    return bead


def exists(db: sqlite3.Connection, bead_id: str) -> bool:
    return db.execute("SELECT 1 FROM beads WHERE id=?", (bead_id,)).fetchone() is not None


@dataclass
class Filters:
    """What `bd list` can ask for; empty fields do not filter."""

    status: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    priority_min: int | None = None
    priority_max: int | None = None
    assignee: str | None = None
    labels_all: list[str] = field(default_factory=list)
    labels_any: list[str] = field(default_factory=list)
    text: str | None = None
    title: str | None = None
    unassigned: bool = False
    parent: str | None = None
    ids: list[str] = field(default_factory=list)
    created_after: str | None = None
    created_before: str | None = None
    updated_after: str | None = None
    updated_before: str | None = None
    closed_after: str | None = None
    closed_before: str | None = None
    include_closed: bool = True
    wisps_only: bool = False

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []

        def one_of(column: str, values: list[str]) -> None:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            args.extend(values)

        if self.status:
            one_of("status", self.status)
        elif not self.include_closed and not (self.closed_after or self.closed_before):
            clauses.append(readsql.NOT_CLOSED)
        if self.types:
            one_of("issue_type", self.types)
        if self.ids:
            one_of("b.id", self.ids)
        for column, op, value in (
                ("priority", ">=", self.priority_min), ("priority", "<=", self.priority_max),
                ("assignee", "=", self.assignee), ("parent", "=", self.parent),
                ("created_at", ">=", self.created_after), ("created_at", "<", self.created_before),
                ("updated_at", ">=", self.updated_after), ("updated_at", "<", self.updated_before),
                ("closed_at", ">=", self.closed_after), ("closed_at", "<", self.closed_before)):
            if value is not None:
                clauses.append(f"{column} {op} ?")
                args.append(value)
        for label in self.labels_all:
            clauses.append("b.id IN (SELECT id FROM labels WHERE label = ?)")
            args.append(label)
        if self.labels_any:
            marks = ",".join("?" * len(self.labels_any))
            clauses.append(f"b.id IN (SELECT id FROM labels WHERE label IN ({marks}))")
            args.extend(self.labels_any)
        if self.text:
            clauses.append("(instr(d.search, ?) > 0 OR instr(lower(b.id), ?) > 0)")
            args += [self.text.lower(), self.text.lower()]
        if self.title:
            clauses.append("instr(lower(title), ?) > 0")
            args.append(self.title.lower())
        if self.unassigned:
            clauses.append("(assignee IS NULL OR assignee = '')")
        if self.wisps_only:
            clauses.append("layer = 1")
        if not all(map(_is_utf8, args)):
            # Bytes that are not UTF-8 (from the command line) match no bead's text.
            return " WHERE 0", []
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def _is_utf8(value: Any) -> bool:
    """False for a str holding lone surrogates (undecodable bytes), which sqlite refuses."""
    if not isinstance(value, str):
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _order(sort: str, reverse: bool) -> str:
    if sort not in SORTS:
        raise InvalidInput(f"invalid sort {sort!r}: use one of {', '.join(SORTS)}")
    column = {"priority": "priority", "created": "created_at", "updated": "updated_at",
              "status": "status", "id": "b.id", "title": "title"}[sort]
    return readsql.list_order(column, reverse)


def list_docs(db: sqlite3.Connection, filters: Filters, sort: str = "priority",
              reverse: bool = False, limit: int | None = None) -> list[bytes]:
    """Matching beads as stored JSON bytes (ready to print), with their link counts."""
    where, args = filters.where()
    return readsql.docs(db, where, args, _order(sort, reverse), limit)


def descendants(db: sqlite3.Connection, bead_id: str) -> list[str]:
    """Every bead below `bead_id` in the parent-child hierarchy."""
    rows = db.execute("WITH RECURSIVE below(id) AS (SELECT id FROM beads WHERE parent = ? "
                      "UNION SELECT b.id FROM beads b JOIN below ON b.parent = below.id) "
                      "SELECT id FROM below ORDER BY id", (bead_id,))
    return [row[0] for row in rows]


@dataclass
class Blockers:
    """Why beads are held back: bead id -> list of (blocker id, reason)."""

    by_bead: dict[str, list[tuple[str, str]]]


def blockers(db: sqlite3.Connection) -> Blockers:
    """Every non-closed bead that something holds back, with what holds it."""
    return Blockers(blocking.stored(db))


def blocked_list(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Each held-back bead with a `blocked_by` list of {id, reason}."""
    out = []
    for bead_id, held in sorted(blockers(db).by_bead.items()):
        bead = get(db, bead_id)
        bead["blocked_by"] = [{"id": i, "reason": r} for i, r in held]
        out.append(bead)
    return out


def ready(db: sqlite3.Connection, filters: Filters, sort: str = "priority",
          limit: int | None = None) -> list[bytes]:
    """Open, unblocked, undeferred, non-ephemeral work (machinery types excluded)."""
    if sort not in READY_SORTS:
        raise InvalidInput(f"invalid sort {sort!r}: use one of {', '.join(READY_SORTS)}")
    where, args = filters.where()
    where = (where + " AND " if where else " WHERE ") + readsql.READY
    args.append(readsql.now_iso())
    if sort == "oldest":
        order = " ORDER BY b.created_at, b.id"
    elif sort == "hybrid":
        recent = (datetime.now(UTC) - timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M:%S")
        order = (" ORDER BY (b.created_at < ?), CASE WHEN b.created_at < ? THEN 0 "
                 "ELSE b.priority END, b.created_at, b.id")
        args += [recent, recent]
    else:
        order = readsql.READY_BY_PRIORITY
    return readsql.docs(db, where, args, order, limit)


def deps_of(db: sqlite3.Connection, bead_id: str) -> list[tuple[str, str]]:
    return db.execute("SELECT target, type FROM deps WHERE id=? ORDER BY type, target",
                      (bead_id,)).fetchall()


def dependents_of(db: sqlite3.Connection, bead_id: str) -> list[tuple[str, str]]:
    return db.execute("SELECT id, type FROM deps WHERE target=? ORDER BY type, id",
                      (bead_id,)).fetchall()


def blocking_edges(db: sqlite3.Connection) -> dict[str, list[str]]:
    graph: dict[str, list[str]] = defaultdict(list)
    marks = ",".join(f"'{t}'" for t in sorted(BLOCKING_DEP_TYPES - {"parent-child"}))
    for bead, target in db.execute(f"SELECT id, target FROM deps WHERE type IN ({marks})"):
        graph[bead].append(target)
    return graph


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each elementary cycle found by one depth-first pass (one per strongly tied group)."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    for start in sorted(graph):
        if start in state:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                path.append(node)
            targets = sorted(graph.get(node, ()))
            if index < len(targets):
                stack.append((node, index + 1))
                nxt = targets[index]
                if state.get(nxt) == 1:
                    cycles.append([*path[path.index(nxt):], nxt])
                elif nxt not in state:
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                path.pop()
    return cycles


def reaches(graph: dict[str, list[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return False


def stats(db: sqlite3.Connection) -> dict[str, Any]:
    def counts(column: str) -> dict[str, int]:
        return {str(k): v for k, v in db.execute(
            f"SELECT {column}, count(*) FROM beads WHERE layer = 0 GROUP BY {column}")}

    held = blockers(db).by_bead
    total = db.execute("SELECT count(*) FROM beads WHERE layer = 0").fetchone()[0]
    wisps = db.execute("SELECT count(*) FROM beads WHERE layer = 1").fetchone()[0]
    ready_count = len(ready(db, Filters()))
    return {"total": total, "wisps": wisps, "by_status": counts("status"),
            "by_type": counts("issue_type"), "by_priority": counts("priority"),
            "ready": ready_count, "blocked": len(held)}


def junk(db: sqlite3.Connection) -> list[tuple[str, str]]:
    return db.execute("SELECT path, reason FROM junk ORDER BY path").fetchall()

"""Beads' JSON shapes for what bd prints: the form its clients (beads-mcp, beads-ui) parse.

A stored bead keeps its links as edges (`{issue_id, depends_on_id, type}`); Beads prints the
linked beads themselves. `issue` turns a bead into Beads' shape: each dependency and each
dependent becomes the linked bead (its fields, no links of its own) with `dependency_type`,
and the edge's own keys stay on it (`issue_id`, `depends_on_id`, `type`, and the edge's
metadata as `dependency_metadata`), so readers of either shape are served. A dependency whose
target is not in this ledger (a convoy's `tracks` link into another ledger) stays an edge,
under `external_dependencies`. Counts, `blocked_by` (ids) and `blockers` (ids with reasons)
are added; `schema_version` and every field of ours stay. Reads sqlite only (no pygit2).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from beads import query
from beads.errors import NotFound

# A linked bead carries its own fields, not its links (Beads' LinkedIssue avoids recursion).
_NOT_LINKED = ("dependencies", "dependents", "comments", "schema_version", "blocked_by",
               "blockers", "external_dependencies")


def _linked(db: sqlite3.Connection, bead_id: str) -> dict[str, Any] | None:
    try:
        doc = query.get(db, bead_id)
    except NotFound:
        return None
    for key in _NOT_LINKED:
        doc.pop(key, None)
    doc.update(counts(db, bead_id))
    return doc


def counts(db: sqlite3.Connection, bead_id: str) -> dict[str, int]:
    deps = db.execute("SELECT count(*) FROM deps WHERE id=?", (bead_id,)).fetchone()[0]
    dependents = db.execute("SELECT count(*) FROM deps WHERE target=?",
                            (bead_id,)).fetchone()[0]
    return {"dependency_count": deps, "dependent_count": dependents}


def issue(db: sqlite3.Connection, doc: dict[str, Any],
          held: query.Blockers | None = None) -> dict[str, Any]:
    """`doc` (a stored bead) in Beads' shape, with its links resolved through the cache."""
    bead_id = doc["id"]
    out = dict(doc)
    dependencies, external = [], []
    for edge in doc.get("dependencies", ()):
        target = _linked(db, edge["depends_on_id"])
        if target is None:
            external.append({"issue_id": bead_id, **edge})
            continue
        target.update(dependency_type=edge["type"], issue_id=bead_id,
                      depends_on_id=edge["depends_on_id"], type=edge["type"])
        if edge.get("metadata") is not None:
            target["dependency_metadata"] = edge["metadata"]
        dependencies.append(target)
    dependents = []
    for other, dep_type in query.dependents_of(db, bead_id):
        linked = _linked(db, other)
        if linked is not None:
            linked.update(dependency_type=dep_type, type=dep_type)
            dependents.append(linked)
    out["dependencies"] = dependencies
    out["external_dependencies"] = external
    out["dependents"] = dependents
    out.update(counts(db, bead_id))
    reasons = (held if held is not None else query.blockers(db)).by_bead.get(bead_id, [])
    out["blocked_by"] = [blocker for blocker, _ in reasons]
    out["blocked_by_count"] = len(reasons)
    out["blockers"] = [{"id": blocker, "reason": reason} for blocker, reason in reasons]
    return out


def issues(db: sqlite3.Connection, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    held = query.blockers(db)
    return [issue(db, doc, held) for doc in docs]


def details(db: sqlite3.Connection, partial: str) -> dict[str, Any]:
    """`bd show`: one bead by (partial) id, in Beads' shape."""
    return issue(db, query.get(db, query.resolve(db, partial)))


def comments(bead_id: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A bead's comments as Beads prints them: each names its bead (`issue_id`)."""
    return [{"issue_id": bead_id, **item, "id": str(item.get("id", ""))} for item in items]


def epic_status(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Each open epic with its children's progress, as `bd epic status` prints it."""
    out = []
    rows = db.execute("SELECT id FROM beads WHERE issue_type = 'epic' AND status != 'closed' "
                      "ORDER BY priority, created_at, id").fetchall()
    held = query.blockers(db)
    for (epic_id,) in rows:
        total, closed = db.execute(
            "SELECT count(*), coalesce(sum(status = 'closed'), 0) FROM beads WHERE parent = ?",
            (epic_id,)).fetchone()
        out.append({"epic": issue(db, query.get(db, epic_id), held), "total_children": total,
                    "closed_children": closed, "eligible_for_close": total > 0 and
                    closed == total})
    return out


def stats(db: sqlite3.Connection) -> dict[str, Any]:
    """`bd stats`: our counts, plus Beads' `summary` and `recent_activity`."""
    numbers = query.stats(db)
    by_status = numbers["by_status"]
    lead = db.execute(
        "SELECT avg((julianday(closed_at) - julianday(created_at)) * 24) FROM beads "
        "WHERE layer = 0 AND status = 'closed' AND closed_at IS NOT NULL").fetchone()[0]
    since = db.execute("SELECT strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day')").fetchone()[0]

    def recent(column: str) -> int:
        return db.execute(f"SELECT count(*) FROM beads WHERE layer = 0 AND {column} >= ?",
                          (since,)).fetchone()[0]

    summary = {
        "total_issues": numbers["total"], "open_issues": by_status.get("open", 0),
        "in_progress_issues": by_status.get("in_progress", 0),
        "closed_issues": by_status.get("closed", 0), "blocked_issues": numbers["blocked"],
        "deferred_issues": by_status.get("deferred", 0), "ready_issues": numbers["ready"],
        "pinned_issues": by_status.get("pinned", 0), "tombstone_issues": 0,
        "epics_eligible_for_closure": sum(1 for e in epic_status(db)
                                          if e["eligible_for_close"]),
        "average_lead_time_hours": round(lead or 0.0, 2)}
    activity = {"hours_tracked": 24, "issues_created": recent("created_at"),
                "issues_closed": recent("closed_at"), "issues_updated": recent("updated_at")}
    return {**numbers, "summary": summary, "recent_activity": activity}

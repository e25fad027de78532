"""Operations on wisps as a whole: list, burn, promote to a durable bead, squash to a digest.

Creating and changing a wisp goes through the ledger's ordinary writes, which route a wisp's
events to the overlay (`beads.overlay`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from beads import query
from beads.creation import NewBead
from beads.errors import InvalidInput
from beads.store import Intent
from beads.view import View

if TYPE_CHECKING:  # the ledger loads pygit2, which a warm read never needs
    from beads.ledger import Ledger


def burn(ledger: Ledger, partials: Iterable[str]) -> list[str]:
    """Forget wisps for good: nothing about them was ever committed."""
    wisps = set(ledger.wisp_ids())
    ids = [p if p in wisps else ledger.resolve(p) for p in partials]
    for bead_id in ids:
        if bead_id not in wisps:
            raise InvalidInput(f"{bead_id} is not a wisp")
    ledger.overlay.write(dict.fromkeys(ids))
    return ids


def promote(ledger: Ledger, partial: str) -> dict[str, Any]:
    """Commit a wisp as a durable bead with the same id, then drop it from the overlay."""
    bead_id = ledger.resolve(partial)
    if bead_id not in ledger.wisp_ids():
        raise InvalidInput(f"{bead_id} is not a wisp")
    wisp = ledger.overlay.get(bead_id) or {}

    def plan(view: View) -> tuple[list[Intent], Any]:
        view.promoting.add(bead_id)
        return [Intent("create", bead_id, recreate_data(wisp))], bead_id

    ledger.write_plan(f"promote {bead_id}", plan)
    ledger.overlay.write({bead_id: None})
    return ledger.get(bead_id)


def squash(ledger: Ledger, partial: str, title: str | None = None) -> dict[str, Any]:
    """Commit one digest bead for a wisp and its wisp descendants, then burn them all."""
    root = ledger.resolve(partial)
    wisps = ledger.wisp_ids()
    if root not in wisps:
        raise InvalidInput(f"{root} is not a wisp")
    db = ledger.db()
    family = [root] + [w for w in wisps if w.startswith(root + ".") or _descends(db, w, root)]
    docs = [query.get(db, w) for w in dict.fromkeys(family)]
    lines = [f"- {d['id']} [{d['status']}] {d['title']}"
             + (f": {d['close_reason']}" if d.get("close_reason") else "") for d in docs]
    digest = NewBead(title=title or f"Digest: {docs[0]['title']}"[:500],
                     fields={"description": "\n".join(lines),
                             "issue_type": docs[0].get("issue_type", "task")},
                     labels=["digest"])
    created = ledger.create_many([digest])[0]
    if all(d["status"] == "closed" for d in docs):
        created = ledger.close([created["id"]], reason="squashed", force=True)[0]
    ledger.overlay.write(dict.fromkeys(d["id"] for d in docs))
    return created


def _descends(db: sqlite3.Connection, bead_id: str, ancestor: str) -> bool:
    seen = set()
    current: str | None = bead_id
    while current and current not in seen:
        seen.add(current)
        row = db.execute("SELECT parent FROM beads WHERE id=?", (current,)).fetchone()
        current = row[0] if row else None
        if current == ancestor:
            return True
    return False


def recreate_data(doc: dict[str, Any]) -> dict[str, Any]:
    """A create event's data that rebuilds `doc` (fields, labels, deps, comments)."""
    fields = {k: v for k, v in doc.items()
              if not k.startswith("_") and k not in ("id", "labels", "dependencies", "comments")}
    fields.pop("ephemeral", None)
    data: dict[str, Any] = {"fields": fields}
    if doc.get("labels"):
        data["labels"] = list(doc["labels"])
    if doc.get("dependencies"):
        data["deps"] = [{"type": d["type"], "target": d["depends_on_id"],
                         "created_at": d.get("created_at"), "created_by": d.get("created_by"),
                         "metadata": d.get("metadata")} for d in doc["dependencies"]]
    if doc.get("comments"):
        data["comments"] = list(doc["comments"])
    return data

"""What write commands print for `--json`: the beads they changed, in Beads' shape.

A write returns the documents it produced; they are read back from the cache (which the write
moved along) so their links resolve to linked beads like `bd show`'s (see `beads.shapes`).
"""

from __future__ import annotations

from typing import Any

from beads import query, shapes
from beads.cli.context import settings


def shaped(beads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    db = settings().db()
    docs = [query.get(db, b["id"]) if query.exists(db, b["id"]) else b for b in beads]
    return shapes.issues(db, docs)

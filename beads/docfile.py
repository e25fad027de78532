"""Decode a bead file from a tree or the overlay, telling a junk file from a bead."""

from __future__ import annotations

from typing import Any

from beads import canonical
from beads.errors import BeadsError
from beads.ids import bead_path, check_id


class JunkFile(ValueError):
    """A file in the ledger's tree that is not a bead document the ledger wrote."""


def decode(path: str, data: bytes) -> dict[str, Any]:
    try:
        doc = canonical.loads(data)
    except ValueError as exc:
        raise JunkFile(f"not JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
        raise JunkFile("not a bead document (no id)")
    try:
        check_id(doc["id"])
    except BeadsError as exc:
        raise JunkFile(exc.message) from None
    if bead_path(doc["id"]) != path:
        raise JunkFile(f"holds bead {doc['id']!r}, which belongs at {bead_path(doc['id'])}")
    for key in ("labels", "dependencies", "comments"):
        if not isinstance(doc.get(key), list):
            raise JunkFile(f"not a bead document ({key} missing)")
    if not isinstance(doc.get("_clock"), dict) or not isinstance(doc.get("_removed"), dict):
        raise JunkFile("not a bead document (clocks missing)")
    return doc

"""A write's view of the ledger: the tip snapshot plus the wisp overlay.

Committed beads win over an overlay copy of the same id (a leftover of an interrupted
promote), exactly as the read cache resolves it.
"""

from __future__ import annotations

from typing import Any

from beads.ids import shard
from beads.model import Vocabulary
from beads.overlay import Overlay
from beads.store import Snapshot


class View:
    def __init__(self, snap: Snapshot, overlay: Overlay) -> None:
        self.snap = snap
        self.overlay = overlay
        self._wisps: dict[str, dict[str, Any]] | None = None
        self.new_ids: set[str] = set()
        self.new_wisps: set[str] = set()
        self.vocab = Vocabulary(snap.config["values"])

    @property
    def wisps(self) -> dict[str, dict[str, Any]]:
        if self._wisps is None:
            self._wisps, _ = self.overlay.read()
        return self._wisps

    def doc(self, bead_id: str) -> dict[str, Any] | None:
        doc = self.snap.doc(bead_id)
        return doc if doc is not None else self.wisps.get(bead_id)

    def live(self, bead_id: str) -> dict[str, Any] | None:
        doc = self.doc(bead_id)
        return doc if doc is not None and not doc.get("deleted") else None

    def is_wisp(self, bead_id: str) -> bool:
        if bead_id in self.new_wisps:
            return True
        return self.snap.doc(bead_id) is None and bead_id in self.wisps

    def taken(self, bead_id: str) -> set[str]:
        """Ids already used in the shard of `bead_id`: committed, wisps and this write's."""
        same_shard = {w for w in self.wisps if shard(w) == shard(bead_id)}
        return self.snap.shard_ids(bead_id) | same_shard | self.new_ids

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
        self._wisp_ids: set[str] | None = None
        self.new_ids: set[str] = set()
        self.new_wisps: set[str] = set()
        self.promoting: set[str] = set()
        self.vocab = Vocabulary(snap.config["values"])

    @property
    def wisps(self) -> dict[str, dict[str, Any]]:
        if self._wisps is None:
            self._wisps, _ = self.overlay.read()
        return self._wisps

    @property
    def wisp_ids(self) -> set[str]:
        """Ids in the overlay, read from the index entries alone (no blobs)."""
        if self._wisp_ids is None:
            self._wisp_ids = {path.rsplit("/", 1)[-1].removesuffix(".json")
                              for path, _ in self.overlay.entries()}
        return self._wisp_ids

    def doc(self, bead_id: str) -> dict[str, Any] | None:
        doc = self.snap.doc(bead_id)
        if doc is not None or bead_id not in self.wisp_ids:
            return doc
        return self.wisps.get(bead_id)

    def live(self, bead_id: str) -> dict[str, Any] | None:
        doc = self.doc(bead_id)
        return doc if doc is not None and not doc.get("deleted") else None

    def is_wisp(self, bead_id: str) -> bool:
        if bead_id in self.promoting:
            return False
        if bead_id in self.new_wisps:
            return True
        return bead_id in self.wisp_ids and self.snap.doc(bead_id) is None

    def taken(self, bead_id: str) -> set[str]:
        """Ids already used in the shard of `bead_id`: committed, wisps and this write's."""
        same_shard = {w for w in self.wisp_ids if shard(w) == shard(bead_id)}
        return self.snap.shard_ids(bead_id) | same_shard | self.new_ids

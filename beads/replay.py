"""Apply a batch of events to ledger state and name the tree paths that change.

The writer and `bd verify` both go through `fold_batch`, so a commit's tree is by
construction the fold of its events, and replay can check it bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from beads import canonical, fold
from beads.events import Event
from beads.ids import bead_path
from beads.model import SCHEMA_VERSION

META_PATH = "meta.json"
CONFIG_PATH = "config.json"


def empty_meta() -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "prefix": "", "lamport": 0, "count": 0}


def empty_config() -> dict[str, Any]:
    return {"values": {}, "_clock": {}}


@dataclass
class Batch:
    """The state a batch of events leaves behind: changed docs, meta and config."""

    docs: dict[str, fold.Doc] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=empty_meta)
    config: dict[str, Any] = field(default_factory=empty_config)
    config_changed: bool = False

    def changes(self) -> dict[str, bytes | None]:
        out: dict[str, bytes | None] = {
            bead_path(bead_id): canonical.dumps_file(doc) for bead_id, doc in self.docs.items()}
        out[META_PATH] = canonical.dumps_file(self.meta)
        if self.config_changed:
            out[CONFIG_PATH] = canonical.dumps_file(self.config)
        return out


def fold_batch(read_doc: Callable[[str], fold.Doc | None], meta: dict[str, Any],
               config: dict[str, Any], events: list[Event]) -> Batch:
    """Fold `events` in order on top of the state that `read_doc`, `meta` and `config` give."""
    batch = Batch(meta=dict(meta), config={"values": dict(config["values"]),
                                           "_clock": dict(config["_clock"])})
    for event in events:
        batch.meta["lamport"] = max(batch.meta["lamport"], event.lamport)
        ledger_op = fold.LEDGER_OPS.get(event.op)
        if ledger_op is not None:
            ledger_op(batch.meta, batch.config, event)
            batch.config_changed = True
            continue
        before = batch.docs.get(event.bead) or read_doc(event.bead)
        if before is None:
            batch.meta["count"] += 1
        batch.docs[event.bead] = fold.apply(before, event)
    return batch

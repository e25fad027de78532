"""Molecules: protomolecules poured into the ledger, worked step by step, squashed or burned.

    proto, from_proto = source.protomolecule("shiny", {"feature": "x"}, "", dirs, ledger.db)
    poured = pour(ledger, proto)                   # one commit: root + a bead per step
    poured = pour(ledger, proto, attach_to="gt-7k2mq")   # the bead becomes the root
    current_step(ledger, poured.root)              # progress, current step, checklist
    step_done(ledger, poured.root)                 # close the current step, say what is next
    squash(ledger, poured.root)                    # one digest bead; burn(...) discards

Modules: `record` (how a molecule is stored on beads, read back from the cache), `pouring`
(planning a pour in one write, `bd cook`'s protomolecule bead), `source` (a formula or a
protomolecule bead), `progress` (step states, current step), `lifecycle` (step done,
squash, burn), `digest` (the squash summary), `survey` (list, stale). The read side
(`record`, `progress`, `survey`) never loads pygit2, so the names here are imported lazily.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "burn": "lifecycle", "current_step": "lifecycle", "squash": "lifecycle",
    "step_done": "lifecycle", "Poured": "pouring", "plan_pour": "pouring", "pour": "pouring",
    "store_proto": "pouring", "Molecule": "record", "Step": "record", "load": "record",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(import_module(f"beads.mol.{module}"), name)

"""Beads: a git-native, event-sourced issue ledger stored on a repository's `beads` branch.

The public entry point is `beads.Ledger`; the `bd` command is a thin layer on it. `Ledger` is
imported lazily, so read-only commands that never need pygit2 do not pay for loading it (nor
for `typing`: the `bd` fast read path imports this package first).
"""

from __future__ import annotations

from beads.errors import BeadsError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from beads.ledger import Ledger

__all__ = ["BeadsError", "Ledger"]


def __getattr__(name: str) -> type[Ledger]:
    if name == "Ledger":
        from beads.ledger import Ledger

        return Ledger
    raise AttributeError(name)

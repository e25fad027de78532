"""Beads: a git-native, event-sourced issue ledger stored on a repository's `beads` branch.

The public entry point is `beads.Ledger`; the `bd` command is a thin layer on it. `Ledger` is
imported lazily, so read-only commands that never need pygit2 do not pay for loading it.
"""

from typing import Any

from beads.errors import BeadsError

__all__ = ["BeadsError", "Ledger"]


def __getattr__(name: str) -> Any:
    if name == "Ledger":
        from beads.ledger import Ledger

        return Ledger
    raise AttributeError(name)

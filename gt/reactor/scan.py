"""Reading what happened: the town's ledgers, and the events committed since a cursor."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import pygit2

from beads.events import Event, parse_message
from beads.gitdir import BEADS_REF
from gt.rig import rigs
from gt.town import Town


@dataclass(frozen=True)
class LedgerRef:
    """One ledger of the town: its name (`town` or the rig's) and its git dir."""

    name: str
    git_dir: Path


def ledgers(town: Town) -> list[LedgerRef]:
    return [LedgerRef("town", town.root / ".git"),
            *(LedgerRef(r.name, r.repo) for r in rigs(town))]


def tip(repo: pygit2.Repository) -> str | None:
    try:
        return str(repo.references[BEADS_REF].target)
    except KeyError:
        return None


def events_since(repo: pygit2.Repository, cursor: str | None,
                 head: str) -> list[tuple[pygit2.Commit, Event]]:
    """Events of every commit reachable from `head` but not from `cursor`, oldest first."""
    walker = repo.walk(head, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE)
    if cursor:
        with contextlib.suppress(KeyError, ValueError, pygit2.GitError):
            walker.hide(cursor)
    return [(commit, event) for commit in walker for event in parse_message(commit.message)]

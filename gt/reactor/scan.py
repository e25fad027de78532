"""Reading what happened: the town's ledgers, and the events committed since a cursor.

A ledger's tip is read through `beads.ledgerref`, so a ledger ref that names no commit is
`BrokenLedgerRef`, never a tree walked as history; the reactor skips that ledger and says so
once (`Tips`), and goes on with the others.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pygit2

from beads import ledgerref
from beads.events import Event, parse_message
from beads.ledgerref import BrokenLedgerRef
from gt.rig import rigs
from gt.town import Town


@dataclass(frozen=True)
class LedgerRef:
    """One ledger of the town: its name (`town` or the rig's) and its git dir."""

    name: str
    git_dir: Path


def ledgers(town: Town) -> list[LedgerRef]:
    """The town's ledger and those of the rigs cloned on this machine."""
    return [LedgerRef("town", town.root / ".git"),
            *(LedgerRef(r.name, r.repo) for r in rigs(town))]


def tip(repo: pygit2.Repository) -> str | None:
    """The ledger's tip commit; None without a ledger ref; `BrokenLedgerRef` when the ref
    names anything but a commit."""
    head = ledgerref.tip(repo)
    return str(head) if head is not None else None


@dataclass
class Tips:
    """The tips the reactor reads. A ledger whose ref is broken is not scanned, and is
    reported in one line through `log`, again only when what is wrong changes, and once more
    when it is mended; the other ledgers go on."""

    log: Callable[[str], None]
    broken: dict[str, str] = field(default_factory=dict)

    def usable(self, ledger: LedgerRef, repo: pygit2.Repository) -> bool:
        """Whether the ledger can be scanned: its ref is absent or names a commit."""
        try:
            tip(repo)
        except BrokenLedgerRef as exc:
            if self.broken.get(ledger.name) != exc.message:
                self.broken[ledger.name] = exc.message
                self.log(f"[{ledger.name}] skipped: {exc.message}")
            return False
        if self.broken.pop(ledger.name, None) is not None:
            self.log(f"[{ledger.name}] the ledger ref names a commit again: scanning it")
        return True

    def read(self, ledger: LedgerRef, repo: pygit2.Repository) -> str | None:
        """The ledger's tip; None when it has none or its ref is broken."""
        return tip(repo) if self.usable(ledger, repo) else None


def commits_since(repo: pygit2.Repository, cursor: str | None,
                  head: str) -> list[pygit2.Commit]:
    """Every commit reachable from `head` but not from `cursor`, parents before children."""
    walker = repo.walk(head, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE)
    if cursor:
        with contextlib.suppress(KeyError, ValueError, pygit2.GitError):
            walker.hide(cursor)
    return list(walker)


def events_since(repo: pygit2.Repository, cursor: str | None,
                 head: str) -> list[tuple[pygit2.Commit, Event]]:
    """Events of every commit reachable from `head` but not from `cursor`, oldest first."""
    return [(commit, event) for commit in commits_since(repo, cursor, head)
            for event in parse_message(commit.message)]


def batch_size(commits: list[pygit2.Commit], cursor: str | None, limit: int) -> int:
    """How many of `commits` (from `commits_since(cursor)`) to handle before saving a cursor.

    The saved cursor is the last commit handled, and the next scan skips only what it can
    reach, so a batch may end only where that commit descends from every commit handled and
    from the old cursor: after a merge, a cursor on one side of it does not cover the other.
    The largest such batch up to `limit`, else the smallest beyond it (all of `commits`, which
    end at the tip, at worst)."""
    tips = {pygit2.Oid(hex=cursor)} if cursor else set()
    best = 0
    for count, commit in enumerate(commits, 1):
        tips.difference_update(commit.parent_ids)
        tips.add(commit.id)
        if len(tips) == 1:
            best = count
        if best and count >= limit:
            return best
    return len(commits)

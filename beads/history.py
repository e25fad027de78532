"""A bead's past, read from the beads branch: its events (`bd history`), and the bead as it
was at a commit or a date (`bd show --as-of`)."""

from __future__ import annotations

from typing import Any

import pygit2

from beads.cache import public_view
from beads.errors import NotFound, NotInitialized
from beads.events import parse_message
from beads.model import parse_time
from beads.store import Store


def commit_at(store: Store, as_of: str) -> pygit2.Commit:
    """The commit `as_of` names (any commit-ish), or the newest on the first-parent chain
    made at or before `as_of` read as a date."""
    tip = store.tip()
    if tip is None:
        raise NotInitialized("no ledger here")
    try:
        return store.repo.revparse_single(as_of).peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
        pass
    when = parse_time(as_of, "--as-of").timestamp()
    commit = store.repo[tip]
    while commit.commit_time > when:
        if not commit.parents:
            raise NotFound(f"the ledger has no commit as old as {as_of}")
        commit = commit.parents[0]
    return commit


def show_as_of(store: Store, bead_id: str, as_of: str) -> dict[str, Any]:
    commit = commit_at(store, as_of)
    doc = store.snapshot(commit.id).doc(bead_id)
    if doc is None or doc.get("deleted"):
        raise NotFound(f"no bead {bead_id!r} as of {as_of} (commit {str(commit.id)[:10]})")
    bead = public_view(doc)
    bead["as_of"] = str(commit.id)
    return bead


def bead_history(store: Store, bead_id: str) -> list[dict[str, Any]]:
    """Every event about the bead, oldest first, with the commit that recorded it."""
    tip = store.tip()
    out: list[dict[str, Any]] = []
    if tip is not None:
        walk = store.repo.walk(tip, pygit2.enums.SortMode.TOPOLOGICAL
                                | pygit2.enums.SortMode.REVERSE)
        for commit in walk:
            out += [{"commit": str(commit.id), "author": commit.author.name,
                     "summary": commit.message.split("\n", 1)[0], **event.to_dict()}
                    for event in parse_message(commit.message) if event.bead == bead_id]
    if not out:
        raise NotFound(f"no history for {bead_id!r}")
    return out

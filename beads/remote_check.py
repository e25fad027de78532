"""Validating pushes to a shared remote's ledger (run by its `pre-receive` hook).

A push that moves `refs/heads/beads` is refused, with the reason on the pusher's terminal,
when it deletes the ledger, rewrites its history (the old tip is not an ancestor of the new),
carries a malformed event, or leaves a tree that is not the replay of its events (`bd
verify` of the new tip). git keeps a push's objects in a quarantine directory until the hook
accepts it; the check reads them through it as an alternate object store.
"""

from __future__ import annotations

import os
import sys

import pygit2

from beads.errors import StorageError
from beads.events import parse_message
from beads.gitdir import BEADS_REF
from beads.verify import verify

ZERO = "0" * 40


def check(repo: pygit2.Repository, old: str, new: str) -> str | None:
    """Why the ledger may not move from `old` to `new`, or None."""
    if new == ZERO:
        return "deleting the ledger is refused"
    if old != ZERO and not repo.descendant_of(new, old) and old != new:
        return "the push rewrites the ledger's history (its old tip is not an ancestor)"
    walker = repo.walk(new, pygit2.enums.SortMode.TOPOLOGICAL)
    if old != ZERO:
        walker.hide(old)
    for commit in walker:
        try:
            parse_message(commit.message)
        except StorageError as exc:
            return f"commit {str(commit.id)[:10]} carries a malformed event: {exc.message}"
    report = verify(repo, tip=pygit2.Oid(hex=new))
    if report.first_divergence is not None:
        where = report.first_divergence
        return (f"commit {where['commit'][:10]} ({where['summary']}): {where['reason']}")
    if report.junk or report.problems:
        return "; ".join((report.problems + report.junk)[:3])
    return None


def main() -> int:
    repo = pygit2.Repository(os.environ.get("GIT_DIR", "."))
    quarantine = os.environ.get("GIT_QUARANTINE_PATH")
    if quarantine:
        repo.odb.add_disk_alternate(quarantine)
    for line in sys.stdin.read().splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[2] != BEADS_REF:
            continue
        old, new, _ref = parts
        reason = check(repo, old, new)
        if reason:
            print(f"ledger push refused: {reason}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

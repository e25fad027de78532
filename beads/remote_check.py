"""Validating pushes to a shared remote's ledger (run by its `pre-receive` hook).

A push that moves `refs/heads/beads` is refused, with the reason on the pusher's terminal,
when it deletes the ledger, rewrites its history (the old tip is not an ancestor of the new),
carries a malformed event, an event by someone other than its commit's author or with a
forged clock (`beads.provenance`), or leaves a tree that is not the replay of its events. The
refusal names the commit and its author. Only the
pushed commits are checked, each against its parents (`verify_new`): the old tip passed
this check when it was pushed, so the cost grows with the push, not with the history. git
keeps a push's objects in a quarantine directory until the hook accepts it; the check reads
them through it as an alternate object store. A remote can also require each pushed ledger
commit to be signed by its author's key (`beads.signing`).
"""

from __future__ import annotations

import os
import sys

import pygit2

from beads.gitdir import BEADS_REF
from beads.signing import unsigned_commit
from beads.verify import first_failure, verify_new

ZERO = "0" * 40


def check(repo: pygit2.Repository, old: str, new: str) -> str | None:
    """Why the ledger may not move from `old` to `new`, or None."""
    if new == ZERO:
        return "deleting the ledger is refused"
    if old != ZERO and not repo.descendant_of(new, old) and old != new:
        return "the push rewrites the ledger's history (its old tip is not an ancestor)"
    base = None if old == ZERO else pygit2.Oid(hex=old)
    tip = pygit2.Oid(hex=new)
    return first_failure(verify_new(repo, base, tip)) or unsigned_commit(repo, base, tip)


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

"""The read side of a ledger: the cache, brought up to date only when the ref moved.

Checking currency costs two file reads (the ref and the overlay's stat); pygit2 is imported
only when the cache is stale, so a read command on a current cache never loads it. A ledger
ref that names anything but a commit is caught on that stale path (`beads.ledgerref`): a
current cache was filled from the commit the ref still names.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import Any

from beads import gitdir
from beads.cache import COMMITTED, Cache, overlay_signature
from beads.errors import NotInitialized


class Reader:
    def __init__(self, dirs: gitdir.GitDirs, repo: Any = None) -> None:
        self.dirs = dirs
        self.cache = Cache(dirs.state_dir)
        self._repo = repo
        self.problems: list[str] = []

    @property
    def db(self) -> sqlite3.Connection:
        return self.cache.db

    def repo(self) -> Any:
        if self._repo is None:
            import pygit2

            self._repo = pygit2.Repository(str(self.dirs.common_dir))
        return self._repo

    def current(self) -> sqlite3.Connection:
        """The cache, refreshed if the ledger or the overlay changed since it was filled."""
        tip = gitdir.read_ref(self.dirs.common_dir)
        if tip is None:
            raise NotInitialized("no ledger here: run `bd init --prefix <prefix>` first")
        try:
            current = (self.cache.get("tip") == tip and self.cache.get("overlay")
                       == overlay_signature(self.dirs.state_dir))
            stored = self.cache.get("overlay_problems") if current else None
        except sqlite3.DatabaseError:
            self.cache.reset()
            current, stored = False, None
        if current:
            self.problems = stored.split("\n") if stored else []
        else:
            self.refresh()
        return self.cache.db

    def refresh(self, progress: Any = None) -> None:
        from beads.ledgerref import check
        from beads.refresh import refresh

        tip = gitdir.read_ref(self.dirs.common_dir)
        if tip is not None:
            check(self.repo(), tip)
        try:
            self.problems = refresh(self.cache, self.repo(), self.dirs, progress)
        except sqlite3.DatabaseError:
            self.cache.reset()
            self.problems = refresh(self.cache, self.repo(), self.dirs, progress)

    def rebuild(self, progress: Any = None) -> None:
        self.cache.reset()
        self.refresh(progress)

    def record_commit(self, parent: str, commit: str, docs: list[dict[str, Any]]) -> None:
        """After a write: move the cache along if it reflected the commit's parent."""
        try:
            with self.cache.transaction() as db:
                if (Cache._get(db, "tip") or "") != parent:
                    return
                Cache.put(db, docs, COMMITTED)
                Cache.set(db, "tip", commit)
        except sqlite3.DatabaseError as exc:
            print(f"bd: cache not updated ({exc}); it will refresh on the next read",
                  file=sys.stderr)

"""Wisps: ephemeral beads kept in an uncommitted git index overlay.

The overlay is a separate index file under the git dir (`beads/wisps.index`). Its entries use
the ledger's tree layout and point at blobs that are never committed or pushed. Reads see the
tip tree plus the overlay.

git gc prunes blobs that only a foreign index references. To keep each wisp alive exactly as
long as it is in the overlay, every overlay write also points the local-only ref
`refs/beads/wisps` at a tree of the overlay: reachable from a ref, so gc keeps it; not a
commit, not on any branch, and outside every push and fetch refspec. A blob that goes missing
anyway is reported on every read, never dropped silently.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import filelock
import pygit2

from beads import canonical, docfile, locks, workspace
from beads.errors import StorageError
from beads.gitdir import GitDirs
from beads.ids import bead_path

KEEP_REF = "refs/beads/wisps"


class Overlay:
    def __init__(self, repo: pygit2.Repository, dirs: GitDirs) -> None:
        self.repo = repo
        self.path: Path = dirs.state_dir / "wisps.index"
        self.common_dir = dirs.common_dir
        self.lock = filelock.FileLock(str(dirs.state_dir / "wisps.lock"))

    def _index(self) -> pygit2.Index:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return pygit2.Index(str(self.path))

    def entries(self) -> list[tuple[str, pygit2.Oid]]:
        if not self.path.exists():
            return []
        return [(entry.path, entry.id) for entry in self._index()]

    def read(self) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """The wisps by id, and a line for every entry that could not be read."""
        docs: dict[str, dict[str, Any]] = {}
        problems: list[str] = []
        for path, oid in self.entries():
            try:
                blob = self.repo[oid]
            except KeyError:
                problems.append(f"wisp {path}: blob {oid} is missing from the object store "
                                "(pruned by git gc?); the entry is kept")
                continue
            try:
                doc = docfile.decode(path, blob.data)
            except docfile.JunkFile as exc:
                problems.append(f"wisp {path}: {exc}")
                continue
            docs[doc["id"]] = doc
        return docs, problems

    def get(self, bead_id: str) -> dict[str, Any] | None:
        index = self._index()
        path = bead_path(bead_id)
        if path not in index:
            return None
        blob = self.repo.get(index[path].id)
        if blob is None:
            raise StorageError(f"wisp {bead_id}: blob {index[path].id} is missing from the "
                               "object store (pruned by git gc?)")
        return canonical.loads(blob.data)

    def write(self, changes: dict[str, dict[str, Any] | None]) -> None:
        """Store or (for None) burn wisps, and re-point the gc-protection ref.

        The ref moves first, so a blob is protected before any reader can find it; libgit2
        writes the index through a lock file and a rename, so a killed writer leaves the old
        or the new overlay, never half of one.
        """
        with self.lock:
            locks.clear_stale(self.path.with_name(self.path.name + ".lock"), min_age=0)
            index = self._index()
            for bead_id, doc in changes.items():
                path = bead_path(bead_id)
                if doc is None:
                    if path in index:
                        index.remove(path)
                else:
                    oid = self.repo.create_blob(canonical.dumps_file(doc))
                    index.add(pygit2.IndexEntry(path, oid, pygit2.GIT_FILEMODE_BLOB))
            self._protect(index.write_tree(self.repo))
            index.write()
        workspace.touch(self.path.parent)

    def _protect(self, tree: pygit2.Oid) -> None:
        """Point the keep ref at the overlay's tree; a lock left by a killed writer is
        cleared once it is a second old (our file lock orders every wisp writer)."""
        lock_file = self.common_dir / f"{KEEP_REF}.lock"
        deadline = time.monotonic() + 5
        while True:
            try:
                self.repo.references.create(KEEP_REF, tree, force=True)
                return
            except (pygit2.GitError, OSError) as exc:
                if "lock" not in str(exc) or time.monotonic() > deadline:
                    raise StorageError(f"cannot protect the wisp overlay: {exc}") from None
                locks.clear_stale(lock_file)
                time.sleep(0.05)

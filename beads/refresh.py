"""Bring the read cache up to date with the ledger ref and the wisp overlay.

Committed beads are refreshed from a tree diff between the tip the cache reflects and the
current tip; a cache whose tip is unknown is rebuilt from the whole tree. Wisps are reloaded
whenever the overlay file changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pygit2

from beads import docfile, gitdir, treediff
from beads.cache import COMMITTED, WISP, Cache, overlay_signature
from beads.ids import ID_RE, bead_path
from beads.overlay import Overlay

Progress = Callable[[int, int], None]


def refresh(cache: Cache, repo: pygit2.Repository, dirs: gitdir.GitDirs,
            progress: Progress | None = None) -> list[str]:
    """Update the cache; return problem lines (unreadable wisps) for the caller to report."""
    tip = gitdir.read_ref(dirs.common_dir) or ""
    if cache.get("tip") != tip:
        _refresh_committed(cache, repo, tip, progress)
    signature = overlay_signature(dirs.state_dir)
    problems: list[str] = []
    if cache.get("overlay") != signature:
        wisps, problems = Overlay(repo, dirs).read()
        with cache.transaction() as db:
            Cache.clear_layer(db, WISP)
            Cache.put(db, wisps.values(), WISP)
            Cache.set(db, "overlay", signature)
            Cache.set(db, "overlay_problems", "\n".join(problems))
    else:
        stored = cache.get("overlay_problems")
        problems = stored.split("\n") if stored else []
    return problems


def _tree_of(repo: pygit2.Repository, hex_id: str) -> pygit2.Tree | None:
    if not hex_id:
        return None
    try:
        commit = repo[hex_id]
    except (KeyError, ValueError):
        return None
    return commit.tree if isinstance(commit, pygit2.Commit) else None


def _refresh_committed(cache: Cache, repo: pygit2.Repository, tip: str,
                       progress: Progress | None) -> None:
    with cache.transaction() as db:
        cached = Cache._get(db, "tip") or ""
        if cached == tip:
            return
        new_tree = _tree_of(repo, tip)
        old_tree = _tree_of(repo, cached)
        if old_tree is None:
            Cache.clear_layer(db, COMMITTED)
            Cache.clear_layer(db, WISP)
            Cache.set(db, "overlay", "")
            Cache.bulk_load(db, _all_docs(db, repo, new_tree, progress))
            Cache.set(db, "tip", tip)
            return
        changes = list(treediff.changed_files(repo, old_tree, new_tree))
        docs = []
        for done, (path, blob_id) in enumerate(changes, start=1):
            Cache.drop_junk(db, path)
            bead_id = path.rsplit("/", 1)[-1].removesuffix(".json")
            # Only the file at a bead's own path speaks for that bead.
            owns_row = bead_path(bead_id) == path if ID_RE.match(bead_id) else False
            if blob_id is None:
                if owns_row:
                    Cache.remove(db, bead_id, COMMITTED)
                continue
            obj = repo[blob_id]
            try:
                if not isinstance(obj, pygit2.Blob):
                    raise docfile.JunkFile("a directory where a bead file belongs")
                docs.append(docfile.decode(path, obj.data))
            except docfile.JunkFile as exc:
                if owns_row:
                    Cache.remove(db, bead_id, COMMITTED)
                Cache.put_junk(db, path, COMMITTED, str(exc))
            if len(docs) >= 2000:
                Cache.put(db, docs, COMMITTED)
                docs = []
            if progress is not None and done % 5000 == 0:
                progress(done, len(changes))
        Cache.put(db, docs, COMMITTED)
        Cache.set(db, "tip", tip)


def _all_docs(db: sqlite3.Connection, repo: pygit2.Repository, tree: pygit2.Tree | None,
              progress: Progress | None) -> Iterator[dict[str, Any]]:
    """Every readable bead document of the tree; junk goes to the junk table."""
    changes = list(treediff.changed_files(repo, None, tree))
    for done, (path, blob_id) in enumerate(changes, start=1):
        obj = repo[blob_id] if blob_id is not None else None
        try:
            if not isinstance(obj, pygit2.Blob):
                raise docfile.JunkFile("a directory where a bead file belongs")
            yield docfile.decode(path, obj.data)
        except docfile.JunkFile as exc:
            Cache.put_junk(db, path, COMMITTED, str(exc))
        if progress is not None and done % 5000 == 0:
            progress(done, len(changes))

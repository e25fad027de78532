"""The merge of two ledger trees: bead by bead, register by register, the same whichever
side merges.

Two ledger tips merge by merging, bead by bead, every document the other side changed since
their merge base (`fold.merge`, register by register); meta.json and config.json merge the
same way. Two clones that minted the same id for different beads are told apart by the
create that made each (`beads.twins`): the earlier keeps the id, the later is renamed and its
side's own links follow it. `beads.sync` merges with it, and `beads.verify` checks a merge
commit's tree against it, so it sits below both.
"""

from __future__ import annotations

from typing import Any

import pygit2

from beads import canonical, docfile, fold, replay, treediff, trees, twins
from beads.ids import bead_path


def _doc(repo: pygit2.Repository, tree: pygit2.Tree | None, path: str) -> dict[str, Any] | None:
    data = trees.read_blob(repo, tree, path)
    if data is None:
        return None
    try:
        return docfile.decode(path, data)
    except docfile.JunkFile:
        return None


def _json(repo: pygit2.Repository, tree: pygit2.Tree, path: str, empty: Any) -> Any:
    data = trees.read_blob(repo, tree, path)
    return canonical.loads(data) if data else empty


def merge_config(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    merged = {"values": dict(ours["values"]), "_clock": dict(ours["_clock"])}
    for key, clock in theirs["_clock"].items():
        if tuple(clock) > tuple(merged["_clock"].get(key) or ()):
            merged["_clock"][key] = clock
            if key in theirs["values"]:
                merged["values"][key] = theirs["values"][key]
            else:
                merged["values"].pop(key, None)
    return merged


def merged_tree(repo: pygit2.Repository, ours: pygit2.Oid, theirs: pygit2.Oid) -> pygit2.Oid:
    """The tree of `ours` merged with `theirs` (the same whichever side is `ours`)."""
    base_id = repo.merge_base(ours, theirs)
    base = repo[base_id].tree if base_id is not None else None
    ours_tree, theirs_tree = repo[ours].tree, repo[theirs].tree
    changes: dict[str, bytes | None] = {}
    renames: list[twins.Rename] = []
    added = 0
    for path, oid in treediff.changed_files(repo, base, theirs_tree):
        theirs_doc = _doc(repo, theirs_tree, path) if oid is not None else None
        if theirs_doc is None:
            continue
        ours_doc = _doc(repo, ours_tree, path)
        if ours_doc is not None and twins.are_twins(ours_doc, theirs_doc):
            keep, renamed = twins.split(ours_doc, theirs_doc)
            changes[path] = canonical.dumps_file(keep)
            renames.append(twins.Rename(keep["id"], renamed["id"],
                                        theirs if keep is ours_doc else ours))
            new_path = bead_path(renamed["id"])
            existing = _doc(repo, ours_tree, new_path)
            added += existing is None
            merged = fold.merge(existing, renamed) if existing is not None else renamed
            changes[new_path] = canonical.dumps_file(merged)
            continue
        if ours_doc is None:
            added += 1
        merged = fold.merge(ours_doc, theirs_doc) if ours_doc is not None else theirs_doc
        changes[path] = canonical.dumps_file(merged)
    for rename in renames:
        _follow_rename(repo, base, ours, theirs, rename, changes)
    meta = _json(repo, ours_tree, replay.META_PATH, replay.empty_meta())
    their_meta = _json(repo, theirs_tree, replay.META_PATH, replay.empty_meta())
    meta = {**meta, "lamport": max(meta["lamport"], their_meta["lamport"]),
            "count": meta["count"] + added}
    changes[replay.META_PATH] = canonical.dumps_file(meta)
    config = merge_config(_json(repo, ours_tree, replay.CONFIG_PATH, replay.empty_config()),
                          _json(repo, theirs_tree, replay.CONFIG_PATH, replay.empty_config()))
    changes[replay.CONFIG_PATH] = canonical.dumps_file(config)
    return trees.write_tree(repo, ours_tree, changes)


def _follow_rename(repo: pygit2.Repository, base: pygit2.Tree | None, ours: pygit2.Oid,
                   theirs: pygit2.Oid, rename: twins.Rename,
                   changes: dict[str, bytes | None]) -> None:
    """Point the renamed twin's side's own links at its new id, in the merged documents
    (`changes` over the tree of `ours`) that side changed since the base."""
    other = theirs if rename.side == ours else ours
    eids = twins.side_events(repo, rename.side, other)
    ours_tree = repo[ours].tree
    paths = {path for path, oid in treediff.changed_files(repo, base, repo[rename.side].tree)
             if oid is not None}
    for path in sorted(paths | {bead_path(rename.new)}):
        data = changes[path] if path in changes else trees.read_blob(repo, ours_tree, path)
        try:
            doc = docfile.decode(path, data) if data is not None else None
        except docfile.JunkFile:
            continue
        if doc is None:
            continue
        moved = twins.retarget(doc, rename.old, rename.new, eids)
        if moved != doc:
            changes[path] = canonical.dumps_file(moved)

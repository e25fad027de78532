"""What changed between two ledger trees, skipping every subtree whose id is unchanged.

pygit2's own tree diff walks whole trees; comparing shard ids first touches only the shards
a commit changed (about 0.35 ms at 100k beads).
"""

from __future__ import annotations

from collections.abc import Iterator

import pygit2


def _entries(repo: pygit2.Repository, tree: pygit2.Tree | None, name: str) -> dict[str, pygit2.Oid]:
    if tree is None or name not in tree:
        return {}
    obj = repo[tree[name].id]
    if not isinstance(obj, pygit2.Tree):
        return {}
    return {entry.name: entry.id for entry in obj}


def changed_files(repo: pygit2.Repository, old: pygit2.Tree | None, new: pygit2.Tree | None,
                  top: str = "issues") -> Iterator[tuple[str, pygit2.Oid | None]]:
    """(path, new object id or None if removed) for each entry under `top` that differs.

    Entries are normally bead files in shard directories; anything else (a file where a shard
    belongs, a directory inside a shard) is yielded too, for the caller to treat as junk.
    """
    old_shards = _entries(repo, old, top)
    new_shards = _entries(repo, new, top)
    if old is not None and new is not None and old_shards == new_shards:
        return
    for shard_name in sorted(old_shards.keys() | new_shards.keys()):
        old_id, new_id = old_shards.get(shard_name), new_shards.get(shard_name)
        if old_id == new_id:
            continue
        old_files = _shard_files(repo, old_id)
        new_files = _shard_files(repo, new_id)
        for name in sorted(old_files.keys() | new_files.keys()):
            if old_files.get(name) != new_files.get(name):
                path = f"{top}/{shard_name}/{name}" if name else f"{top}/{shard_name}"
                yield path, new_files.get(name)


def _shard_files(repo: pygit2.Repository, tree_id: pygit2.Oid | None) -> dict[str, pygit2.Oid]:
    """Files in a shard by path relative to it (nested directories are junk, but listed);
    a file standing where a shard belongs is listed under the empty name."""
    if tree_id is None:
        return {}
    obj = repo[tree_id]
    if not isinstance(obj, pygit2.Tree):
        return {"": tree_id}
    out: dict[str, pygit2.Oid] = {}
    todo: list[tuple[str, pygit2.Tree]] = [("", obj)]
    while todo:
        prefix, tree = todo.pop()
        for entry in tree:
            if entry.filemode == pygit2.GIT_FILEMODE_TREE:
                todo.append((f"{prefix}{entry.name}/", repo[entry.id]))
            else:
                out[prefix + entry.name] = entry.id
    return out


def other_entries(repo: pygit2.Repository, tree: pygit2.Tree | None,
                  known: tuple[str, ...]) -> dict[str, pygit2.Oid]:
    """Files of a ledger tree outside the ledger's layout (top-level names not in `known`),
    by full path."""
    if tree is None:
        return {}
    out: dict[str, pygit2.Oid] = {}
    todo = [(entry.name, entry.id) for entry in tree if entry.name not in known]
    while todo:
        path, oid = todo.pop()
        obj = repo[oid]
        if isinstance(obj, pygit2.Tree):
            todo += [(f"{path}/{entry.name}", entry.id) for entry in obj]
        else:
            out[path] = oid
    return out

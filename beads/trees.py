"""Build ledger trees without a work tree: one builder for every commit the ledger makes."""

from __future__ import annotations

import pygit2

BLOB = pygit2.GIT_FILEMODE_BLOB
TREE = pygit2.GIT_FILEMODE_TREE


def write_tree(repo: pygit2.Repository, base: pygit2.Tree | None,
               changes: dict[str, bytes | None]) -> pygit2.Oid:
    """A new tree: `base` with each path set to its bytes, or removed where the value is None.

    Only the subtrees on changed paths are rebuilt; the rest are shared with `base`.
    """
    built = _build(repo, base, changes)
    return built if built is not None else repo.TreeBuilder().write()


def _build(repo: pygit2.Repository, base: pygit2.Tree | None,
           changes: dict[str, bytes | None]) -> pygit2.Oid | None:
    """The rebuilt tree's id, or None when it ends up empty (so its parent drops it)."""
    direct: dict[str, bytes | None] = {}
    nested: dict[str, dict[str, bytes | None]] = {}
    for path, data in changes.items():
        head, sep, rest = path.partition("/")
        if sep:
            nested.setdefault(head, {})[rest] = data
        else:
            direct[head] = data
    builder = repo.TreeBuilder(base) if base is not None else repo.TreeBuilder()
    for name, data in direct.items():
        if data is None:
            if builder.get(name) is not None:
                builder.remove(name)
        else:
            builder.insert(name, repo.create_blob(data), BLOB)
    for name, sub_changes in nested.items():
        entry = builder.get(name)
        sub_base = repo[entry.id] if entry is not None and entry.filemode == TREE else None
        sub_id = _build(repo, sub_base, sub_changes)
        if sub_id is None:
            if entry is not None:
                builder.remove(name)
        else:
            builder.insert(name, sub_id, TREE)
    return builder.write() if len(builder) else None


def read_blob(repo: pygit2.Repository, tree: pygit2.Tree | None, path: str) -> bytes | None:
    if tree is None:
        return None
    try:
        entry = tree[path]
    except KeyError:
        return None
    obj = repo[entry.id]
    return obj.data if isinstance(obj, pygit2.Blob) else None


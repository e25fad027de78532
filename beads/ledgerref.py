"""The ledger ref, `refs/heads/beads`, and what it must name: a commit.

A ledger ref that names anything else (a tree, a blob, a tag, an object the repository does
not have, or text that is no object id at all) is a broken ledger, not an empty one: every
command stops with `BrokenLedgerRef`, which names the ref, says what it holds, and gives the
command that restores it, from the newest commit in the ref's reflog (or a remote's copy of
the ledger when there is no reflog).
"""

from __future__ import annotations

import string
from pathlib import Path

import pygit2

from beads.errors import StorageError
from beads.events import one_line
from beads.gitdir import BEADS_REF


class BrokenLedgerRef(StorageError):
    code = "broken_ledger_ref"


def tip(repo: pygit2.Repository) -> pygit2.Oid | None:
    """The commit the ledger ref names; None when there is no ledger ref."""
    try:
        ref = repo.references.get(BEADS_REF)
        target = ref.resolve().target if ref is not None else None
    except (pygit2.GitError, KeyError, ValueError) as exc:
        raise BrokenLedgerRef(_message(repo, f"it cannot be read ({one_line(str(exc))})",
                                       unreadable=True)) from None
    if target is None:
        return None
    check(repo, str(target))
    return target


def check(repo: pygit2.Repository, value: str) -> None:
    """Raise `BrokenLedgerRef` unless `value` (what the ledger ref holds) names a commit."""
    if len(value) not in (40, 64) or not set(value) <= set(string.hexdigits):
        raise BrokenLedgerRef(_message(repo, f"it holds {one_line(value, 50)!r}, not an "
                                             "object id", unreadable=True))
    obj = repo.get(value)
    if obj is None:
        raise BrokenLedgerRef(_message(repo, f"it names {value[:10]}, an object this "
                                             "repository does not have"))
    if not isinstance(obj, pygit2.Commit):
        raise BrokenLedgerRef(_message(repo, f"it names a {obj.type_str} ({value[:10]}), "
                                             "not a commit"))


def _common_dir(repo: pygit2.Repository) -> Path:
    path = Path(repo.path)
    pointer = path / "commondir"
    return (path / pointer.read_text().strip()).resolve() if pointer.is_file() else path


def _is_commit(repo: pygit2.Repository, hex_id: str) -> bool:
    try:
        return isinstance(repo.get(hex_id), pygit2.Commit)
    except (ValueError, TypeError):
        return False


def last_good_commit(repo: pygit2.Repository) -> str | None:
    """The newest commit the ledger ref's reflog records it pointing at."""
    try:
        lines = (_common_dir(repo) / "logs" / BEADS_REF).read_text(errors="replace")
    except OSError:
        return None
    for line in reversed(lines.splitlines()):
        ids = line.split(" ", 2)[:2]
        for hex_id in reversed(ids):
            if len(hex_id) in (40, 64) and _is_commit(repo, hex_id):
                return hex_id
    return None


def _remote_copy(repo: pygit2.Repository) -> str | None:
    """A remote-tracking ledger ref that names a commit, to restore from."""
    for name in sorted(repo.references):
        if name.startswith("refs/remotes/") and name.endswith("/beads"):
            try:
                target = repo.references[name].resolve().target
            except (pygit2.GitError, KeyError, ValueError):
                continue
            if _is_commit(repo, str(target)):
                return name
    return None


def _message(repo: pygit2.Repository, what: str, unreadable: bool = False) -> str:
    source = last_good_commit(repo) or _remote_copy(repo)
    loose = _common_dir(repo) / BEADS_REF
    # git refuses to update a ref whose file it cannot parse: that file goes first.
    remove = f"rm {loose} && " if unreadable and loose.is_file() else ""
    if source is None:
        fix = (f"restore it with `{remove}git update-ref {BEADS_REF} <commit>` (the last "
               "ledger commit; `git fsck --lost-found` lists unreachable commits)")
    else:
        origin = (f"it from {source}" if source.startswith("refs/")
                  else "its reflog's newest commit")
        fix = f"restore {origin} with `{remove}git update-ref {BEADS_REF} {source}`"
    return f"the ledger ref {BEADS_REF} is broken: {what}; {fix}"

"""Merging divergent ledgers, and `bd sync`: fetch, merge, push through any git remote.

Two ledger tips merge by merging, bead by bead, every document the other side changed since
their merge base (`fold.merge`, register by register); meta.json and config.json merge the
same way. The result depends only on the two tips, not on which side merges, so every clone
reaches the identical tree. The merge commit has both tips as parents and carries no events
of its own: the events are in the parents' history.

Two clones that minted the same id for different beads (child ids `<parent>.N` are the likely
case) are told apart by the create that made each: the earlier keeps the id, the later is
renamed `<id>-<6 hex of its create event>`; both survive, named the same on every clone.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from typing import Any

import pygit2

from beads import canonical, docfile, fold, gitdir, replay, treediff, trees
from beads.errors import StorageError
from beads.events import format_message, parse_message
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


def _origin(doc: dict[str, Any]) -> tuple:
    return tuple(doc.get("_origin") or ())


def _twins(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """Two different beads under one id: each clone minted it for its own create."""
    return bool(_origin(ours) and _origin(theirs)) and _origin(ours) != _origin(theirs)


def _renamed(doc: dict[str, Any]) -> dict[str, Any]:
    """The later of two twins, under an id made from its own create: every clone picks the
    same one and names it the same, whichever side merges."""
    return {**doc, "id": f"{doc['id']}-{doc['_origin'][2][:6]}"}


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
    added = 0
    for path, oid in treediff.changed_files(repo, base, theirs_tree):
        theirs_doc = _doc(repo, theirs_tree, path) if oid is not None else None
        if theirs_doc is None:
            continue
        ours_doc = _doc(repo, ours_tree, path)
        if ours_doc is not None and _twins(ours_doc, theirs_doc):
            keep, moved = sorted((ours_doc, theirs_doc), key=_origin)
            changes[path] = canonical.dumps_file(keep)
            renamed = _renamed(moved)
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
    meta = _json(repo, ours_tree, replay.META_PATH, replay.empty_meta())
    their_meta = _json(repo, theirs_tree, replay.META_PATH, replay.empty_meta())
    meta = {**meta, "lamport": max(meta["lamport"], their_meta["lamport"]),
            "count": meta["count"] + added}
    changes[replay.META_PATH] = canonical.dumps_file(meta)
    config = merge_config(_json(repo, ours_tree, replay.CONFIG_PATH, replay.empty_config()),
                          _json(repo, theirs_tree, replay.CONFIG_PATH, replay.empty_config()))
    changes[replay.CONFIG_PATH] = canonical.dumps_file(config)
    return trees.write_tree(repo, ours_tree, changes)


@dataclass
class SyncReport:
    remote: str
    action: str = "up to date"
    events_in: int = 0
    events_out: int = 0
    attempts: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"remote": self.remote, "action": self.action, "events_in": self.events_in,
                "events_out": self.events_out, "attempts": self.attempts, "notes": self.notes}


def _git(dirs: gitdir.GitDirs, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "--git-dir", str(dirs.common_dir), *args],
                          capture_output=True, text=True)


def _events(repo: pygit2.Repository, head: pygit2.Oid, hide: pygit2.Oid | None) -> int:
    walker = repo.walk(head, pygit2.enums.SortMode.TOPOLOGICAL)
    if hide is not None:
        walker.hide(hide)
    return sum(len(parse_message(c.message)) for c in walker)


def sync(ledger: Any, remote: str = "origin", attempts: int = 10) -> SyncReport:
    """Fetch the remote's ledger, merge it in, push the result (with a lease); retry when
    someone pushed in between."""
    repo: pygit2.Repository = ledger.repo
    dirs: gitdir.GitDirs = ledger.dirs
    tracking = f"refs/remotes/{remote}/beads"
    report = SyncReport(remote)
    for attempt in range(1, attempts + 1):
        report.attempts = attempt
        fetched = _git(dirs, "fetch", "-q", remote, f"+{gitdir.BEADS_REF}:{tracking}")
        missing = fetched.returncode != 0 and "couldn't find remote ref" in fetched.stderr
        if fetched.returncode != 0 and not missing:
            raise StorageError(f"git fetch {remote} failed: "
                               f"{(fetched.stderr.strip().splitlines() or ['?'])[-1]}")
        theirs = None if missing else repo.references[tracking].target
        if theirs is not None:
            action, count = integrate(ledger, theirs, remote)
            report.events_in += count
            if action != "up to date":
                report.action = action
        ours = ledger.store.tip()
        if ours == theirs:
            return report
        lease = str(theirs) if theirs is not None else ""
        pushed = _git(dirs, "push", "--atomic", "--porcelain",
                      f"--force-with-lease={gitdir.BEADS_REF}:{lease}", remote,
                      f"{ours}:{gitdir.BEADS_REF}")
        if pushed.returncode == 0:
            report.events_out += _events(repo, ours, theirs)
            report.action = "pushed" if report.action == "up to date" else \
                f"{report.action} and pushed"
            return report
        report.notes.append(f"push refused (someone pushed first); attempt {attempt}")
    raise StorageError(f"bd sync gave up after {attempts} attempts: {remote} keeps moving")


def integrate(ledger: Any, theirs: pygit2.Oid, source: str) -> tuple[str, int]:
    """Bring `theirs` into the local ledger: fast-forward, or a merge commit; returns what was
    done and how many events came in."""
    repo: pygit2.Repository = ledger.repo
    ours = ledger.store.tip()
    if ours is None or ours == theirs or repo.descendant_of(ours, theirs):
        return "up to date", 0
    count = _events(repo, theirs, ours)
    if repo.descendant_of(theirs, ours):
        ledger.store.advance(ours, theirs)
        return "fast-forwarded", count
    _merge_commit(ledger, ours, theirs, source)
    return "merged", count


def absorb_fetched(ledger: Any) -> list[str]:
    """Integrate every remote-tracking ledger ref (`refs/remotes/<remote>/beads`) that a plain
    `git fetch` brought in; returns a line per remote that changed the ledger."""
    lines = []
    for name in ledger.repo.references:
        if name.startswith("refs/remotes/") and name.endswith("/beads"):
            remote = name.removeprefix("refs/remotes/").removesuffix("/beads")
            action, count = integrate(ledger, ledger.repo.references[name].target, remote)
            if action != "up to date":
                lines.append(f"{remote}: {action}, {count} event(s) in")
    return lines


def _merge_commit(ledger: Any, ours: pygit2.Oid, theirs: pygit2.Oid, remote: str) -> pygit2.Oid:
    repo: pygit2.Repository = ledger.repo
    tree = merged_tree(repo, ours, theirs)
    signature = pygit2.Signature(ledger.actor, ledger.email)
    message = format_message(f"merge {remote}'s ledger", [])
    return ledger.store.commit_merge(ours, theirs, tree, signature, message)

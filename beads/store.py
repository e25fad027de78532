"""The ledger's storage: `refs/heads/beads`, read at a tip and advanced by compare-and-swap.

A write takes a snapshot of the tip, lets the caller plan its events against it, folds them,
builds the new tree and commits with the tip as the only parent. libgit2 refuses the ref
update if the tip moved, and then the whole plan runs again on the new tip, so nothing is
lost and no check is made against stale state. Local writers queue on a file lock first,
which keeps retries rare under contention.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pygit2

from beads import canonical, fold, gitdir, ledgerref, locks, replay, signing, trees, workspace
from beads.errors import NotInitialized, StorageError
from beads.events import Event, format_message, make_event
from beads.ids import bead_path, shard
from beads.model import now_iso

MAX_ATTEMPTS = 200


class Snapshot:
    """A read-only view of the ledger at one commit (or of an empty ledger)."""

    def __init__(self, repo: pygit2.Repository, tip: pygit2.Oid | None) -> None:
        self.repo = repo
        self.tip = tip
        self.commit = repo[tip] if tip is not None else None
        self.tree = self.commit.tree if self.commit is not None else None
        self._docs: dict[str, fold.Doc | None] = {}
        meta = trees.read_blob(repo, self.tree, replay.META_PATH)
        self.meta: dict[str, Any] = canonical.loads(meta) if meta else replay.empty_meta()
        config = trees.read_blob(repo, self.tree, replay.CONFIG_PATH)
        self.config: dict[str, Any] = canonical.loads(config) if config else replay.empty_config()

    @property
    def initialized(self) -> bool:
        return bool(self.meta.get("prefix"))

    def doc(self, bead_id: str) -> fold.Doc | None:
        """The stored document, deleted or not; None when absent or unreadable."""
        if bead_id not in self._docs:
            data = trees.read_blob(self.repo, self.tree, bead_path(bead_id))
            try:
                self._docs[bead_id] = canonical.loads(data) if data else None
            except ValueError:
                self._docs[bead_id] = None
        return self._docs[bead_id]

    def live(self, bead_id: str) -> fold.Doc | None:
        doc = self.doc(bead_id)
        return doc if doc is not None and not doc.get("deleted") else None

    def shard_ids(self, bead_id: str) -> set[str]:
        """Ids stored in the shard that `bead_id` falls in."""
        if self.tree is None:
            return set()
        try:
            entry = self.tree[f"issues/{shard(bead_id)}"]
        except KeyError:
            return set()
        return {e.name[:-5] for e in self.repo[entry.id] if e.name.endswith(".json")}


@dataclass(frozen=True)
class Intent:
    """An event to record, before the store gives it a clock."""

    op: str
    bead: str
    data: dict[str, Any]


@dataclass
class Plan:
    """A write's events. With `chunk`, they go into a chain of commits of at most that many
    events each, and the ref moves once, to the last: all of them land or none."""

    summary: str
    intents: list[Intent]
    result: Any = None
    chunk: int = 0


@dataclass
class Written:
    """What one transaction committed."""

    commit: pygit2.Oid | None
    parent: pygit2.Oid | None
    events: list[Event]
    batch: replay.Batch
    result: Any
    attempts: int


class Store:
    def __init__(self, repo: pygit2.Repository, dirs: gitdir.GitDirs) -> None:
        self.repo = repo
        self.dirs = dirs

    @functools.cached_property
    def signer(self) -> signing.Signer | None:
        """What signs this repository's ledger commits (`beads.signing`); None: unsigned."""
        return signing.Signer.from_config(self.repo.config)

    def tip(self) -> pygit2.Oid | None:
        """The ledger's commit; None before `bd init`; `BrokenLedgerRef` if the ref names
        anything but a commit."""
        return ledgerref.tip(self.repo)

    def snapshot(self, tip: pygit2.Oid | None = None) -> Snapshot:
        return Snapshot(self.repo, tip if tip is not None else self.tip())

    def transact(self, actor: str, email: str, plan: Callable[[Snapshot], Plan],
                 require_init: bool = True,
                 on_commit: Callable[[Written], None] | None = None) -> Written:
        """Run `plan` against the tip and commit its events; replan whenever the tip moved.

        `on_commit` runs while the lock is still held, so the next local writer's commit
        cannot land before it (the cache is moved along there).
        """
        with locks.exclusive(self.dirs.state_dir / "ledger.lock"):
            for attempt in range(1, MAX_ATTEMPTS + 1):
                snap = self.snapshot()
                if require_init and not snap.initialized:
                    raise NotInitialized("no ledger here: run `bd init --prefix <prefix>` first")
                planned = plan(snap)
                if not planned.intents:
                    return Written(None, snap.tip, [], replay.Batch(), planned.result, attempt)
                events = self._stamp(snap, actor, planned.intents)
                signature = pygit2.Signature(actor, email)
                try:
                    commit, batch = self._commit_chain(snap, signature, planned, events)
                except (pygit2.GitError, OSError) as exc:
                    if self.tip() != snap.tip or "lock" in str(exc):
                        locks.clear_stale(self.dirs.common_dir / f"{gitdir.BEADS_REF}.lock")
                        time.sleep(random.uniform(0, 0.002 * min(attempt, 20)))
                        continue
                    raise StorageError(f"cannot write the ledger: {exc}") from None
                written = Written(commit, snap.tip, events, batch, planned.result, attempt)
                if on_commit is not None:
                    on_commit(written)
                workspace.touch(self.dirs.state_dir)
                return written
        raise StorageError(f"the ledger kept moving: gave up after {MAX_ATTEMPTS} attempts")

    def _commit_chain(self, snap: Snapshot, signature: pygit2.Signature, planned: Plan,
                      events: list[Event]) -> tuple[pygit2.Oid, replay.Batch]:
        size = planned.chunk or len(events)
        chunks = [events[i:i + size] for i in range(0, len(events), size)]
        tree, parent = snap.tree, snap.tip
        meta, config = snap.meta, snap.config
        docs: dict[str, fold.Doc] = {}
        batch = replay.Batch()
        for number, chunk in enumerate(chunks, start=1):
            batch = replay.fold_batch(lambda i: docs[i] if i in docs else snap.doc(i),
                                      meta, config, chunk)
            docs.update(batch.docs)
            meta, config = batch.meta, batch.config
            tree_id = trees.write_tree(self.repo, tree, batch.changes())
            summary = planned.summary if len(chunks) == 1 else (
                f"{planned.summary} ({number}/{len(chunks)})")
            message = format_message(summary, chunk)
            parents = [parent] if parent is not None else []
            last = number == len(chunks)
            ref = gitdir.BEADS_REF if last and len(chunks) == 1 else None
            parent = self._create_commit(ref, signature, message, tree_id, parents)
            tree = self.repo[tree_id]
        if len(chunks) > 1:
            self._move_ref(snap.tip, parent)
        batch.docs = docs
        return parent, batch

    def _create_commit(self, ref: str | None, signature: pygit2.Signature, message: str,
                       tree: pygit2.Oid, parents: list[pygit2.Oid]) -> pygit2.Oid:
        """Write a commit (signed when the repository asks for it, `beads.signing`) and, with
        `ref`, move it there from the first parent by compare-and-swap."""
        if self.signer is None:
            return self.repo.create_commit(ref, signature, signature, message, tree, parents)
        commit = signing.create_signed_commit(self.repo, self.signer, signature, message,
                                              tree, parents)
        if ref is not None:
            self._move_ref(parents[0] if parents else None, commit)
        return commit

    def _move_ref(self, expected: pygit2.Oid | None, new: pygit2.Oid) -> None:
        """Compare-and-swap the beads ref from `expected` to `new`."""
        if expected is None:
            self.repo.references.create(gitdir.BEADS_REF, new, force=False)
            return
        ref = self.repo.references[gitdir.BEADS_REF]
        if ref.target != expected:
            raise pygit2.GitError("old reference value does not match")
        ref.set_target(new)

    def advance(self, expected: pygit2.Oid, new: pygit2.Oid) -> None:
        """Fast-forward the ledger to `new` (compare-and-swap against `expected`)."""
        with locks.exclusive(self.dirs.state_dir / "ledger.lock"):
            try:
                self._move_ref(expected, new)
            except (pygit2.GitError, OSError) as exc:
                raise StorageError(f"the ledger moved while syncing ({exc}); sync again") \
                    from None
            workspace.touch(self.dirs.state_dir)

    def commit_merge(self, ours: pygit2.Oid, theirs: pygit2.Oid, tree: pygit2.Oid,
                     signature: pygit2.Signature, message: str) -> pygit2.Oid:
        """Commit a merge of `ours` (the current tip, checked by compare-and-swap) and
        `theirs`."""
        with locks.exclusive(self.dirs.state_dir / "ledger.lock"):
            try:
                merge = self._create_commit(gitdir.BEADS_REF, signature, message, tree,
                                            [ours, theirs])
            except (pygit2.GitError, OSError) as exc:
                raise StorageError(f"the ledger moved while syncing ({exc}); sync again") \
                    from None
            workspace.touch(self.dirs.state_dir)
            return merge

    @staticmethod
    def _stamp(snap: Snapshot, actor: str, intents: list[Intent]) -> list[Event]:
        ts = now_iso()
        lamport = snap.meta["lamport"]
        return [make_event(i.op, i.bead, actor, ts, lamport + n, i.data)
                for n, i in enumerate(intents, start=1)]

"""`Ledger`: the public Python API of a beads ledger; the `bd` command is a thin layer on it.

Reads go through the cache (`beads.reader`); writes plan their events against a snapshot of
the tip plus the wisp overlay (`beads.view`), then commit them with compare-and-swap
(`beads.store`) or, for wisps, store them in the overlay.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygit2

from beads import canonical, fold, gitdir, history, mergedriver, query, wisps
from beads.cache import public_view
from beads.errors import (
    AlreadyClaimed,
    CycleError,
    GuardError,
    InvalidInput,
    NotFound,
)
from beads.events import make_event
from beads.identity import resolve_actor
from beads.ids import check_dep_target, check_id, check_prefix, child_id, mint
from beads.model import DERIVED_FIELDS, check_utf8
from beads.overlay import Overlay
from beads.reader import Reader
from beads.store import Intent, Plan, Store
from beads.view import View

_BAD_LABEL = re.compile(r"[\x00-\x1f\x7f-\x9f,]")
PlanFn = Callable[[View], tuple[list[Intent], Any]]


@dataclass
class NewBead:
    """Everything `create` needs for one bead."""

    title: str
    fields: dict[str, Any] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    deps: list[tuple[str, str]] = field(default_factory=list)
    parent: str | None = None
    ephemeral: bool = False
    bead_id: str | None = None


def check_label(label: str) -> str:
    if not isinstance(label, str) or not label.strip() or len(label) > 100 \
            or _BAD_LABEL.search(label):
        raise InvalidInput(f"invalid label {label!r}: 1-100 printable characters, no commas")
    return check_utf8(label, "the label")


class Ledger:
    """A ledger on the `beads` branch of the repository at (or above) `path`."""

    def __init__(self, path: str | Path | None = None, actor: str | None = None) -> None:
        self.dirs = gitdir.find(path)
        self.repo = pygit2.Repository(str(self.dirs.git_dir))
        self.store = Store(self.repo, self.dirs)
        self.reader = Reader(self.dirs, self.repo)
        self.overlay = Overlay(self.repo, self.dirs)
        self.actor, self.email = resolve_actor(actor, self.repo.config)

    # ----------------------------------------------------------------- set-up

    @classmethod
    def init(cls, path: str | Path | None = None, prefix: str = "bd",
             actor: str | None = None) -> Ledger:
        """Create the ledger's root commit; an existing ledger with this prefix is kept."""
        check_prefix(prefix)
        ledger = cls(path, actor)

        def plan(view: View) -> tuple[list[Intent], Any]:
            existing = view.snap.meta.get("prefix")
            if existing and existing != prefix:
                raise InvalidInput(f"a ledger with prefix {existing!r} already exists here")
            if existing:
                return [], False
            return [Intent("init", "", {"prefix": prefix})], True

        ledger._write(f"init ledger with prefix {prefix}", plan, require_init=False)
        mergedriver.install(ledger.dirs.common_dir)
        return ledger

    @property
    def prefix(self) -> str:
        return self.store.snapshot().meta["prefix"]

    # ----------------------------------------------------------------- reads

    def db(self) -> sqlite3.Connection:
        return self.reader.current()

    def resolve(self, partial: str) -> str:
        return query.resolve(self.db(), partial)

    def resolve_many(self, partials: Iterable[str]) -> list[str]:
        return [self.resolve(p) for p in partials]

    def get(self, partial: str) -> dict[str, Any]:
        db = self.db()
        return query.get(db, query.resolve(db, partial))

    def show(self, partial: str, as_of: str | None = None) -> dict[str, Any]:
        """A bead with its dependents and comments; `as_of` a commit-ish or a date."""
        if as_of is not None:
            return history.show_as_of(self, partial, as_of)
        return query.details(self.db(), partial)

    def list(self, filters: query.Filters | None = None, sort: str = "priority",
             reverse: bool = False, limit: int | None = None) -> list[dict[str, Any]]:
        rows = query.list_docs(self.db(), filters or query.Filters(), sort, reverse, limit)
        return [canonical.loads(r) for r in rows]

    def ready(self, filters: query.Filters | None = None, sort: str = "priority",
              limit: int | None = None) -> list[dict[str, Any]]:
        return [canonical.loads(r) for r in
                query.ready(self.db(), filters or query.Filters(), sort, limit)]

    def blocked(self) -> list[dict[str, Any]]:
        return query.blocked_list(self.db())

    def history(self, partial: str) -> list[dict[str, Any]]:
        """Every event about the bead, oldest first, with the commit that recorded it."""
        return history.bead_history(self, partial)

    # ----------------------------------------------------------------- writes

    def write_plan(self, summary: str, plan_fn: PlanFn, chunk: int = 0) -> Any:
        """Commit the events `plan_fn` plans against the tip (for batch writers like import)."""
        return self._write(summary, plan_fn, chunk=chunk)

    def _write(self, summary: str, plan_fn: PlanFn, require_init: bool = True,
               chunk: int = 0) -> Any:
        return self._write_docs(summary, plan_fn, require_init, chunk)[0]

    def _write_docs(self, summary: str, plan_fn: PlanFn, require_init: bool = True,
                    chunk: int = 0) -> tuple[Any, dict[str, dict[str, Any]]]:
        """Plan against tip + overlay; commit the committed beads' events, store the wisps'.

        Returns the plan's result and every document the write produced, by id.
        """
        stash: dict[str, Any] = {}

        def plan(snap: Any) -> Plan:
            view = View(snap, self.overlay)
            intents, result = plan_fn(view)
            stash["wisps"] = [i for i in intents if view.is_wisp(i.bead)]
            stash["lamport"] = snap.meta["lamport"]
            committed = [i for i in intents if not view.is_wisp(i.bead)]
            return Plan(summary, committed, result, chunk)

        def record(written: Any) -> None:
            self.reader.record_commit(str(written.parent) if written.parent else "",
                                      str(written.commit), list(written.batch.docs.values()))

        written = self.store.transact(self.actor, self.email, plan, require_init, record)
        docs = dict(written.batch.docs)
        if stash.get("wisps"):
            docs.update(self._write_wisps(stash["wisps"], stash["lamport"]))
        return written.result, docs

    def _write_wisps(self, intents: list[Intent], lamport: int) -> dict[str, dict[str, Any]]:
        from beads.model import now_iso

        ts = now_iso()
        with self.overlay.lock:
            docs: dict[str, dict[str, Any]] = {}
            for intent in intents:
                before = docs.get(intent.bead) or self.overlay.get(intent.bead)
                # Wisp writes never advance the ledger's clock: tick past the wisp's own.
                lamport = max(lamport, fold.highest_lamport(before)) + 1
                event = make_event(intent.op, intent.bead, self.actor, ts, lamport, intent.data)
                docs[intent.bead] = fold.apply(before, event)
            self.overlay.write(docs)
        return docs

    @staticmethod
    def _foreign(view: View, dep: dict[str, Any]) -> bool:
        """A `tracks` link may name a bead of another ledger (a convoy in the town's ledger
        tracks rig beads); such a target is not checked here."""
        prefix = view.snap.meta["prefix"]
        return dep["type"] == "tracks" and not (
            dep["target"].startswith(prefix + "-") or dep["target"] in view.new_ids)

    def _live(self, view: View, bead_id: str) -> dict[str, Any]:
        doc = view.live(bead_id)
        if doc is None:
            raise NotFound(f"no bead {bead_id!r}")
        return doc

    # create ------------------------------------------------------------------

    def create(self, title: str, *, labels: Iterable[str] = (),
               deps: Iterable[tuple[str, str]] = (), parent: str | None = None,
               ephemeral: bool = False, bead_id: str | None = None,
               **fields: Any) -> dict[str, Any]:
        spec = NewBead(title=title, fields=fields, labels=list(labels), deps=list(deps),
                       parent=parent, ephemeral=ephemeral, bead_id=bead_id)
        return self.create_many([spec])[0]

    def create_many(self, specs: list[NewBead]) -> list[dict[str, Any]]:
        """Create beads in one commit (wisps go to the overlay); all or nothing."""
        if not specs:
            return []
        specs = [self._resolve_spec(spec) for spec in specs]

        def plan(view: View) -> tuple[list[Intent], Any]:
            intents = [self.plan_create(view, spec) for spec in specs]
            return intents, [i.bead for i in intents]

        summary = (f"create {specs[0].title}" if len(specs) == 1
                   else f"create {len(specs)} beads")
        ids, docs = self._write_docs(summary, plan)
        return [public_view(docs[bead_id]) for bead_id in ids]

    def _resolve_spec(self, spec: NewBead) -> NewBead:
        parent = self.resolve(spec.parent) if spec.parent else None
        deps = [(t, self._dep_target(t, target)) for t, target in spec.deps]
        return NewBead(spec.title, dict(spec.fields), [check_label(x) for x in spec.labels],
                       deps, parent, spec.ephemeral, spec.bead_id)

    def _dep_target(self, dep_type: str, target: str) -> str:
        """A `tracks` target of another ledger is kept as given (checked); others resolve."""
        if dep_type == "tracks" and not target.startswith(self.prefix + "-"):
            return check_dep_target(target)
        return self.resolve(target)

    def plan_create(self, view: View, spec: NewBead) -> Intent:
        """The create event for `spec`, checked against `view` (for callers of write_plan
        that create beads together with other changes in one commit)."""
        vocab = view.vocab
        fields: dict[str, Any] = {"title": vocab.field("title", spec.title)}
        for name, value in spec.fields.items():
            if name in DERIVED_FIELDS or name in ("id", "deleted"):
                raise InvalidInput(f"{name} is set by the ledger, not by create")
            if value is not None:
                fields[name] = vocab.field(name, value)
        fields.setdefault("status", "open")
        fields.setdefault("priority", 2)
        fields.setdefault("issue_type", "task")
        fields["created_by"] = self.actor
        if fields["status"] == "closed":
            raise InvalidInput("create a bead open, then close it")
        ephemeral = spec.ephemeral or bool(fields.get("ephemeral"))
        if spec.parent and view.is_wisp(spec.parent):
            ephemeral = True
        if ephemeral:
            fields["ephemeral"] = True
        bead_id = self._new_id(view, spec, ephemeral)
        deps = [{"type": view.vocab.dep_type(t), "target": target} for t, target in spec.deps]
        for dep in deps:
            if not self._foreign(view, dep):
                self._live(view, dep["target"])
        if spec.parent:
            self._live(view, spec.parent)
            deps.append({"type": "parent-child", "target": spec.parent})
        view.new_ids.add(bead_id)
        if ephemeral:
            view.new_wisps.add(bead_id)
        data: dict[str, Any] = {"fields": fields}
        if spec.bead_id:
            data["named"] = True  # an id chosen, not minted: see beads.twins
        if spec.labels:
            data["labels"] = sorted(set(spec.labels))
        if deps:
            data["deps"] = deps
        return Intent("create", bead_id, data)

    def _new_id(self, view: View, spec: NewBead, ephemeral: bool) -> str:
        if spec.bead_id:
            bead_id = check_id(spec.bead_id)
            if view.doc(bead_id) is not None or bead_id in view.new_ids:
                raise InvalidInput(f"bead {bead_id!r} already exists")
            return bead_id
        if spec.parent:
            return child_id(spec.parent, view.taken(spec.parent))
        prefix = view.snap.meta["prefix"] + ("-wisp" if ephemeral else "")
        count = view.snap.meta["count"] + len(view.new_ids) + len(view.wisp_ids)
        for attempt in range(8):
            bead_id = mint(prefix, count, f"{spec.title}\0{self.actor}", attempt // 2)
            if bead_id not in view.new_ids and bead_id not in view.wisp_ids \
                    and view.snap.doc(bead_id) is None:
                return bead_id
        raise InvalidInput("could not mint a fresh id; try again")

    # update, claim ------------------------------------------------------------

    def update(self, partial: str, set_fields: dict[str, Any] | None = None, *,
               add_labels: Iterable[str] = (), remove_labels: Iterable[str] = (),
               append_notes: str | None = None, claim: bool = False) -> dict[str, Any]:
        bead_id = self.resolve(partial)
        changes = dict(set_fields or {})
        add = [check_label(x) for x in add_labels]
        remove = [check_label(x) for x in remove_labels]

        def plan(view: View) -> tuple[list[Intent], Any]:
            doc = self._live(view, bead_id)
            intents = []
            if claim:
                intents += self._claim_intents(doc)
            clean: dict[str, Any] = {}
            for name, value in changes.items():
                if name in DERIVED_FIELDS or name in ("id", "deleted", "created_by"):
                    raise InvalidInput(f"{name} is set by the ledger, not by update")
                clean[name] = view.vocab.field(name, value)
            if append_notes:
                existing = doc.get("notes") or ""
                clean["notes"] = f"{existing}\n{append_notes}" if existing else append_notes
            if clean:
                intents.append(Intent("update", bead_id, {"set": clean}))
            intents += [Intent("label.add", bead_id, {"label": x}) for x in add
                        if x not in doc["labels"]]
            intents += [Intent("label.rm", bead_id, {"label": x}) for x in remove
                        if x in doc["labels"]]
            return intents, bead_id

        _, docs = self._write_docs(f"{'claim' if claim else 'update'} {bead_id}", plan)
        return public_view(docs[bead_id]) if bead_id in docs else self.get(bead_id)

    def update_many(self, summary: str, changes: dict[str, dict[str, Any]]) -> None:
        """Set fields on several beads in one commit (ids must be exact)."""

        def plan(view: View) -> tuple[list[Intent], Any]:
            intents = []
            for bead_id, fields in changes.items():
                self._live(view, bead_id)
                clean = {name: view.vocab.field(name, value) for name, value in fields.items()}
                if clean:
                    intents.append(Intent("update", bead_id, {"set": clean}))
            return intents, None

        self._write(summary, plan)

    def _claim_intents(self, doc: dict[str, Any]) -> list[Intent]:
        holder = doc.get("assignee")
        if doc.get("status") == "closed":
            raise GuardError(f"{doc['id']} is closed; reopen it before claiming")
        if holder and holder != self.actor:
            raise AlreadyClaimed(f"{doc['id']} already claimed by {holder}", holder=holder)
        if holder == self.actor and doc.get("status") == "in_progress":
            return []
        return [Intent("claim", doc["id"], {"assignee": self.actor})]

    def claim(self, partial: str) -> dict[str, Any]:
        return self.update(partial, claim=True)

    def claim_ready(self, filters: query.Filters | None = None,
                    sort: str = "priority") -> dict[str, Any] | None:
        """Atomically claim the first ready bead nobody holds; None when nothing is ready."""

        def plan(view: View) -> tuple[list[Intent], Any]:
            for raw in query.ready(self.reader.current(), filters or query.Filters(), sort):
                doc = view.live(canonical.loads(raw)["id"])
                if doc is not None and not doc.get("assignee") and doc["status"] == "open":
                    return self._claim_intents(doc), doc["id"]
            return [], None

        bead_id = self._write("claim ready work", plan)
        return self.get(bead_id) if bead_id else None

    # close, reopen, delete --------------------------------------------------

    def close(self, partials: Iterable[str], reason: str | None = None, failed: bool = False,
              force: bool = False) -> list[dict[str, Any]]:
        ids = self.resolve_many(partials)
        closing = set(ids)

        def plan(view: View) -> tuple[list[Intent], Any]:
            intents = []
            db = self.reader.current()
            held = query.blockers(db).by_bead if not force else {}
            for bead_id in ids:
                doc = self._live(view, bead_id)
                if doc["status"] == "closed":
                    continue
                if not force:
                    self._close_guard(db, bead_id, held, closing)
                data: dict[str, Any] = {}
                if reason:
                    data["reason"] = reason
                if failed:
                    data["failed"] = True
                intents.append(Intent("close", bead_id, data))
            return intents, ids

        self._write(f"close {', '.join(ids)}", plan)
        return [self.get(i) for i in ids]

    @staticmethod
    def _close_guard(db: sqlite3.Connection, bead_id: str,
                     held: dict[str, list[tuple[str, str]]], closing: set[str]) -> None:
        blockers = [b for b, why in held.get(bead_id, []) if why == "blocks"
                    and b not in closing]
        if blockers:
            raise GuardError(f"cannot close {bead_id}: blocked by open {', '.join(blockers)} "
                             "(use --force to close anyway)")
        children = [r[0] for r in db.execute(
            "SELECT id FROM beads WHERE parent=? AND status != 'closed' ORDER BY id",
            (bead_id,)) if r[0] not in closing]
        if children:
            raise GuardError(f"cannot close {bead_id}: open children {', '.join(children)} "
                             "(use --force to close anyway)")

    def reopen(self, partials: Iterable[str]) -> list[dict[str, Any]]:
        ids = self.resolve_many(partials)

        def plan(view: View) -> tuple[list[Intent], Any]:
            intents = []
            for bead_id in ids:
                if self._live(view, bead_id)["status"] != "closed":
                    raise InvalidInput(f"{bead_id} is not closed")
                intents.append(Intent("reopen", bead_id, {}))
            return intents, ids

        self._write(f"reopen {', '.join(ids)}", plan)
        return [self.get(i) for i in ids]

    def delete(self, partials: Iterable[str], force: bool = False) -> list[str]:
        ids = self.resolve_many(partials)
        deleting = set(ids)

        def plan(view: View) -> tuple[list[Intent], Any]:
            db = self.reader.current()
            for bead_id in ids:
                self._live(view, bead_id)
                dependents = [i for i, _ in query.dependents_of(db, bead_id)
                              if i not in deleting]
                if dependents and not force:
                    raise GuardError(f"cannot delete {bead_id}: {', '.join(dependents)} depend "
                                     "on it (use --force to delete anyway)")
            return [Intent("delete", i, {}) for i in ids], ids

        self._write(f"delete {', '.join(ids)}", plan)
        wisps = [i for i in ids if self.overlay.get(i) is not None
                 and self.store.snapshot().doc(i) is None]
        if wisps:
            self.overlay.write(dict.fromkeys(wisps))
        return ids

    # labels, comments, deps -------------------------------------------------

    def label_add(self, partials: Iterable[str], label: str) -> list[str]:
        return self._label("label.add", partials, label)

    def label_remove(self, partials: Iterable[str], label: str) -> list[str]:
        return self._label("label.rm", partials, label)

    def _label(self, op: str, partials: Iterable[str], label: str) -> list[str]:
        check_label(label)
        ids = self.resolve_many(partials)

        def plan(view: View) -> tuple[list[Intent], Any]:
            intents = []
            for bead_id in ids:
                present = label in self._live(view, bead_id)["labels"]
                if present == (op == "label.rm"):
                    intents.append(Intent(op, bead_id, {"label": label}))
            return intents, ids

        verb = "label" if op == "label.add" else "unlabel"
        self._write(f"{verb} {', '.join(ids)} {label}", plan)
        return ids

    def comment(self, partial: str, text: str) -> dict[str, Any]:
        if not text or not text.strip():
            raise InvalidInput("a comment needs text")
        check_utf8(text, "the comment")
        bead_id = self.resolve(partial)

        def plan(view: View) -> tuple[list[Intent], Any]:
            self._live(view, bead_id)
            return [Intent("comment.add", bead_id, {"text": text})], bead_id

        self._write(f"comment on {bead_id}", plan)
        return self.get(bead_id)["comments"][-1]

    def dep_add(self, partial: str, target_partial: str, dep_type: str = "blocks",
                metadata: Any = None) -> dict[str, Any]:
        """`partial` depends on `target_partial` (the target blocks it, for blocking types)."""
        bead_id = self.resolve(partial)
        foreign = dep_type == "tracks" and not target_partial.startswith(self.prefix + "-")
        target = check_dep_target(target_partial) if foreign else self.resolve(target_partial)
        if bead_id == target:
            raise CycleError(f"{bead_id} cannot depend on itself")

        def plan(view: View) -> tuple[list[Intent], Any]:
            kind = view.vocab.dep_type(dep_type)
            doc = self._live(view, bead_id)
            if not foreign:
                self._live(view, target)
            if any((d["type"], d["depends_on_id"]) == (kind, target)
                   for d in doc["dependencies"]):
                return [], False
            self._cycle_guard(bead_id, target, kind)
            data: dict[str, Any] = {"type": kind, "target": target}
            if metadata is not None:
                data["metadata"] = metadata
            return [Intent("dep.add", bead_id, data)], True

        self._write(f"{bead_id} depends on {target} ({dep_type})", plan)
        return {"issue_id": bead_id, "depends_on_id": target, "type": dep_type}

    def _cycle_guard(self, bead_id: str, target: str, kind: str) -> None:
        db = self.reader.current()
        if kind == "parent-child":
            ancestor: str | None = target
            seen = set()
            while ancestor and ancestor not in seen:
                if ancestor == bead_id:
                    raise CycleError(f"{target} is a descendant of {bead_id}: a bead cannot be "
                                     "its own ancestor")
                seen.add(ancestor)
                row = db.execute("SELECT parent FROM beads WHERE id=?", (ancestor,)).fetchone()
                ancestor = row[0] if row else None
            return
        if kind not in ("blocks", "conditional-blocks", "waits-for"):
            return
        graph = query.blocking_edges(db)
        if query.reaches(graph, target, bead_id):
            raise CycleError(f"refused: {bead_id} -> {target} would close a dependency cycle "
                             f"({target} already depends on {bead_id})")

    def dep_remove(self, partial: str, target_partial: str,
                   dep_type: str | None = None) -> int:
        bead_id = self.resolve(partial)
        try:
            target = self.resolve(target_partial)
        except NotFound:
            # A link to a bead that is gone (deleted) or in another ledger: its exact id.
            target = check_id(target_partial)

        def plan(view: View) -> tuple[list[Intent], Any]:
            doc = self._live(view, bead_id)
            found = [d for d in doc["dependencies"] if d["depends_on_id"] == target
                     and (dep_type is None or d["type"] == dep_type)]
            if not found:
                raise NotFound(f"{bead_id} has no dependency on {target}")
            return [Intent("dep.rm", bead_id, {"type": d["type"], "target": target})
                    for d in found], len(found)

        return self._write(f"{bead_id} no longer depends on {target}", plan)

    def config_set(self, key: str, value: Any) -> None:
        if not re.match(r"^[a-z][a-z0-9_.-]{0,63}$", key):
            raise InvalidInput(f"invalid config key {key!r}")

        def plan(view: View) -> tuple[list[Intent], Any]:
            return [Intent("config.set", "", {"key": key, "value": value})], None

        self._write(f"config {key}", plan)

    def config(self) -> dict[str, Any]:
        return dict(self.store.snapshot().config["values"])

    # wisps -----------------------------------------------------------------

    # wisps -------------------------------------------------------------------

    def wisp_ids(self) -> list[str]:
        """Ids in the overlay (readable or not) that are not committed beads."""
        return wisps.wisp_ids(self)

    def burn(self, partials: Iterable[str]) -> list[str]:
        """Forget wisps for good: nothing about them was ever committed."""
        return wisps.burn(self, partials)

    def promote(self, partial: str) -> dict[str, Any]:
        """Commit a wisp as a durable bead with the same id, then drop it from the overlay."""
        return wisps.promote(self, partial)

    def squash(self, partial: str, title: str | None = None) -> dict[str, Any]:
        """Commit one digest bead for a wisp and its wisp descendants, then burn them all."""
        return wisps.squash(self, partial, title)

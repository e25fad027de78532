"""`Ledger`: the public Python API of a beads ledger; the `bd` command is a thin layer on it.

Reads go through the read cache (`beads.reader`, `beads.query`). Each write method resolves
the ids it is given, then hands `beads.writer` a plan: a function of a `View` (tip + wisp
overlay) that checks the rules in `beads.guards` and returns the events to record. The plan
runs again if the tip moves before the commit, so what it checks is what it commits onto.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pygit2

from beads import canonical, creation, gitdir, guards, history, mergedriver, query
from beads.cache import public_view
from beads.creation import NewBead
from beads.errors import InvalidInput, NotFound
from beads.identity import resolve_actor
from beads.ids import check_id, check_prefix
from beads.overlay import Overlay
from beads.reader import Reader
from beads.store import Intent, Store
from beads.view import View
from beads.writer import PlanFn, Summary, Writer


class Ledger:
    """A ledger on the `beads` branch of the repository at (or above) `path`."""

    def __init__(self, path: str | Path | None = None, actor: str | None = None) -> None:
        self.dirs = gitdir.find(path)
        self.repo = pygit2.Repository(str(self.dirs.git_dir))
        self.store = Store(self.repo, self.dirs)
        self.reader = Reader(self.dirs, self.repo)
        self.overlay = Overlay(self.repo, self.dirs)
        self.actor, self.email = resolve_actor(actor, self.repo.config)
        self.writer = Writer(self.store, self.reader, self.overlay, self.actor, self.email)

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
            return history.show_as_of(self.store, self._past_id(partial), as_of)
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
        return history.bead_history(self.store, self._past_id(partial))

    def _past_id(self, partial: str) -> str:
        """The id a partial resolves to now, or the id itself (a deleted bead has a past)."""
        try:
            return self.resolve(partial)
        except NotFound:
            return check_id(partial)

    # ----------------------------------------------------------------- writes

    def write_plan(self, summary: Summary, plan_fn: PlanFn, chunk: int = 0) -> Any:
        """Commit the events `plan_fn` plans against the tip (for batch writers like import)."""
        return self._write(summary, plan_fn, chunk=chunk)

    def _write(self, summary: Summary, plan_fn: PlanFn, require_init: bool = True,
               chunk: int = 0) -> Any:
        return self.writer.write(summary, plan_fn, require_init, chunk)[0]

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
        ids, docs = self.writer.write(summary, plan)
        return [public_view(docs[bead_id]) for bead_id in ids]

    def _resolve_spec(self, spec: NewBead) -> NewBead:
        parent = self.resolve(spec.parent) if spec.parent else None
        deps = [(t, guards.link_target(t, target, lambda: self.prefix, self.resolve))
                for t, target in spec.deps]
        return NewBead(spec.title, dict(spec.fields),
                       [guards.check_label(x) for x in spec.labels], deps, parent,
                       spec.ephemeral, spec.bead_id)

    def plan_create(self, view: View, spec: NewBead) -> Intent:
        """The create event for `spec`, checked against `view` (for callers of write_plan
        that create beads together with other changes in one commit)."""
        return creation.plan_create(view, spec, self.actor)

    # update, claim ------------------------------------------------------------

    def update(self, partial: str, set_fields: dict[str, Any] | None = None, *,
               add_labels: Iterable[str] = (), remove_labels: Iterable[str] = (),
               append_notes: str | None = None, claim: bool = False) -> dict[str, Any]:
        bead_id = self.resolve(partial)
        changes = dict(set_fields or {})
        add = [guards.check_label(x) for x in add_labels]
        remove = [guards.check_label(x) for x in remove_labels]

        def plan(view: View) -> tuple[list[Intent], Any]:
            doc = guards.live(view, bead_id)
            intents = []
            if claim:
                intents += self._claim_intents(doc)
            clean: dict[str, Any] = {}
            for name, value in changes.items():
                clean[guards.check_settable(name, "update")] = view.vocab.field(name, value)
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

        _, docs = self.writer.write(f"{'claim' if claim else 'update'} {bead_id}", plan)
        return public_view(docs[bead_id]) if bead_id in docs else self.get(bead_id)

    def update_many(self, summary: str, changes: dict[str, dict[str, Any]]) -> None:
        """Set fields on several beads in one commit (ids must be exact)."""

        def plan(view: View) -> tuple[list[Intent], Any]:
            intents = []
            for bead_id, fields in changes.items():
                guards.live(view, bead_id)
                clean = {name: view.vocab.field(name, value) for name, value in fields.items()}
                if clean:
                    intents.append(Intent("update", bead_id, {"set": clean}))
            return intents, None

        self._write(summary, plan)

    def _claim_intents(self, doc: dict[str, Any]) -> list[Intent]:
        if not guards.needs_claim(doc, self.actor):
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
                doc = guards.live(view, bead_id)
                if doc["status"] == "closed":
                    continue
                if not force:
                    guards.check_closable(db, bead_id, held, closing)
                data: dict[str, Any] = {}
                if reason:
                    data["reason"] = reason
                if failed:
                    data["failed"] = True
                intents.append(Intent("close", bead_id, data))
            return intents, ids

        self._write(f"close {', '.join(ids)}", plan)
        return [self.get(i) for i in ids]

    def reopen(self, partials: Iterable[str]) -> list[dict[str, Any]]:
        ids = self.resolve_many(partials)

        def plan(view: View) -> tuple[list[Intent], Any]:
            intents = []
            for bead_id in ids:
                guards.check_reopenable(guards.live(view, bead_id))
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
                guards.live(view, bead_id)
                if not force:
                    guards.check_deletable(db, bead_id, deleting)
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
        guards.check_label(label)
        ids = self.resolve_many(partials)

        def plan(view: View) -> tuple[list[Intent], Any]:
            intents = []
            for bead_id in ids:
                present = label in guards.live(view, bead_id)["labels"]
                if present == (op == "label.rm"):
                    intents.append(Intent(op, bead_id, {"label": label}))
            return intents, ids

        verb = "label" if op == "label.add" else "unlabel"
        self._write(f"{verb} {', '.join(ids)} {label}", plan)
        return ids

    def comment(self, partial: str, text: str) -> dict[str, Any]:
        guards.check_comment(text)
        bead_id = self.resolve(partial)

        def plan(view: View) -> tuple[list[Intent], Any]:
            guards.live(view, bead_id)
            return [Intent("comment.add", bead_id, {"text": text})], bead_id

        self._write(f"comment on {bead_id}", plan)
        return self.get(bead_id)["comments"][-1]

    def dep_add(self, partial: str, target_partial: str, dep_type: str = "blocks",
                metadata: Any = None) -> dict[str, Any]:
        """`partial` depends on `target_partial` (the target blocks it, for blocking types)."""
        bead_id = self.resolve(partial)
        target = guards.link_target(dep_type, target_partial, lambda: self.prefix,
                                    self.resolve)
        guards.check_not_self(bead_id, target)

        def plan(view: View) -> tuple[list[Intent], Any]:
            kind = view.vocab.dep_type(dep_type)
            doc = guards.live(view, bead_id)
            guards.check_link(view, dep_type, target)
            if any((d["type"], d["depends_on_id"]) == (kind, target)
                   for d in doc["dependencies"]):
                return [], False
            guards.check_acyclic(self.reader.current(), bead_id, target, kind)
            data: dict[str, Any] = {"type": kind, "target": target}
            if metadata is not None:
                data["metadata"] = metadata
            return [Intent("dep.add", bead_id, data)], True

        self._write(f"{bead_id} depends on {target} ({dep_type})", plan)
        return {"issue_id": bead_id, "depends_on_id": target, "type": dep_type}

    def dep_remove(self, partial: str, target_partial: str,
                   dep_type: str | None = None) -> int:
        bead_id = self.resolve(partial)
        try:
            target = guards.link_target(dep_type or "", target_partial, lambda: self.prefix,
                                        self.resolve)
        except NotFound:
            # A link to a bead that is gone (deleted): its exact id, so it can still go.
            target = guards.check_dep_target(target_partial)

        def plan(view: View) -> tuple[list[Intent], Any]:
            doc = guards.live(view, bead_id)
            found = [d for d in doc["dependencies"] if d["depends_on_id"] == target
                     and (dep_type is None or d["type"] == dep_type)]
            if not found:
                raise NotFound(f"{bead_id} has no dependency on {target}")
            return [Intent("dep.rm", bead_id, {"type": d["type"], "target": target})
                    for d in found], len(found)

        return self._write(f"{bead_id} no longer depends on {target}", plan)

    def config_set(self, key: str, value: Any) -> None:
        guards.check_config_key(key)

        def plan(view: View) -> tuple[list[Intent], Any]:
            return [Intent("config.set", "", {"key": key, "value": value})], None

        self._write(f"config {key}", plan)

    def config(self) -> dict[str, Any]:
        return dict(self.store.snapshot().config["values"])

    # wisps (operations on them as a whole live in `beads.wisps`) ---------------

    def wisp_ids(self) -> list[str]:
        """Ids in the overlay (readable or not) that are not committed beads."""
        snap = self.store.snapshot()
        ids = {path.rsplit("/", 1)[-1].removesuffix(".json")
               for path, _ in self.overlay.entries()}
        return sorted(i for i in ids if snap.doc(i) is None)

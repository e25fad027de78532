"""Fold events into ledger state: the one place where an event's op takes effect.

Each op has one handler, and the tables below are the list of valid ops (`beads.events`
refuses any other when it reads a trailer). A bead op (`BEAD_OPS`) changes one bead document;
a ledger op (`LEDGER_OPS`) changes the ledger's meta and config (`beads.replay` routes each
event to its table). A new kind of change is a new handler in a table, never a direct edit of
a tree.

A bead document is what the tree stores for a bead: its fields at the top level (Beads'
names), `labels`, `dependencies`, `comments`, and two bookkeeping maps. `_clock` maps each
register (a scalar field, or `label:<name>`, `dep:<type>:<target>`) to the clock of the write
that set it; `_removed` keeps the clock of a removal. A write applies only when its clock is
newer than the register's, so applying events in any order that ends with the same set gives
the same document. Every handler is total: replay never fails on a well-formed event.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Protocol

from beads.errors import StorageError

Doc = dict[str, Any]
Clock = tuple[int, str, str]


class Change(Protocol):
    """What a handler reads of an event. `beads.events.Event` is the one kind there is; a
    protocol, because `beads.events` imports the op tables from here and not the reverse."""

    @property
    def op(self) -> str: ...

    @property
    def bead(self) -> str: ...

    @property
    def actor(self) -> str: ...

    @property
    def ts(self) -> str: ...

    @property
    def eid(self) -> str: ...

    @property
    def data(self) -> dict[str, Any]: ...

    @property
    def clock(self) -> Clock: ...


# The status register: these fields always change together, so closed_at is set exactly
# when the status is closed, whatever order concurrent writes arrive in.
STATUS_GROUP = ("status", "closed_at", "close_reason", "close_failed")


def _key_clock(doc: Doc, key: str) -> tuple:
    clocks = [tuple(c) for c in (doc["_clock"].get(key), doc["_removed"].get(key)) if c]
    return max(clocks) if clocks else ()


def _newer(doc: Doc, key: str, clock: Clock) -> bool:
    return tuple(clock) > _key_clock(doc, key)


def _set_register(doc: Doc, key: str, clock: Clock, values: dict[str, Any]) -> None:
    """Write a register's fields if the clock is newer; None removes a field."""
    if not _newer(doc, key, clock):
        return
    doc["_clock"][key] = list(clock)
    for name, value in values.items():
        if value is None:
            doc.pop(name, None)
        else:
            doc[name] = value


def _status_values(status: str, ts: str, reason: str | None = None,
                   failed: bool = False) -> dict[str, Any]:
    closed = status == "closed"
    return {"status": status, "closed_at": ts if closed else None,
            "close_reason": reason if closed and reason else None,
            "close_failed": True if closed and failed else None}


def _touch(doc: Doc, event: Change, ts: str | None = None) -> None:
    _set_register(doc, "updated_at", event.clock, {"updated_at": ts or event.ts})


def _add_element(doc: Doc, collection: str, key: str, clock: Clock, element: Any,
                 match: Any) -> None:
    if not _newer(doc, key, clock):
        return
    doc["_clock"][key] = list(clock)
    doc["_removed"].pop(key, None)
    items = [item for item in doc[collection] if not match(item)]
    items.append(element)
    doc[collection] = items


def _remove_element(doc: Doc, collection: str, key: str, clock: Clock, match: Any) -> None:
    if not _newer(doc, key, clock):
        return
    doc["_removed"][key] = list(clock)
    doc["_clock"].pop(key, None)
    doc[collection] = [item for item in doc[collection] if not match(item)]


def _dep_element(event: Change, dep: dict[str, Any]) -> dict[str, Any]:
    element = {"type": dep["type"], "depends_on_id": dep["target"],
               "created_at": dep.get("created_at") or event.ts,
               "created_by": dep.get("created_by") or event.actor}
    if dep.get("metadata") is not None:
        element["metadata"] = dep["metadata"]
    return element


def _add_dep(doc: Doc, event: Change, dep: dict[str, Any]) -> None:
    key = f"dep:{dep['type']}:{dep['target']}"
    _add_element(doc, "dependencies", key, event.clock, _dep_element(event, dep),
                 lambda d: (d["type"], d["depends_on_id"]) == (dep["type"], dep["target"]))


def _add_comment(doc: Doc, event: Change, comment: dict[str, Any]) -> None:
    cid = comment.get("id") or event.eid
    element = {"id": cid, "author": comment.get("author") or event.actor,
               "text": comment["text"], "created_at": comment.get("created_at") or event.ts}
    _add_element(doc, "comments", f"comment:{cid}", event.clock, element,
                 lambda c: c["id"] == cid)


def highest_lamport(doc: Doc | None) -> int:
    """The newest lamport tick any register of the document has seen."""
    if doc is None:
        return 0
    clocks = [*doc.get("_clock", {}).values(), *doc.get("_removed", {}).values()]
    return max((int(c[0]) for c in clocks), default=0)


def new_doc(bead_id: str) -> Doc:
    return {"id": bead_id, "labels": [], "dependencies": [], "comments": [],
            "_clock": {}, "_removed": {}}


def _create(doc: Doc, event: Change) -> None:
    # Which create made this bead: two clones minting one id for two beads are told apart
    # by it when their ledgers merge. A chosen id (`named`) names one bead wherever it is
    # created, so it has no origin and such creates merge as one bead.
    if not event.data.get("named"):
        doc.setdefault("_origin", list(event.clock))
    fields = dict(event.data.get("fields") or {})
    status = fields.pop("status", "open")
    closed_at = fields.pop("closed_at", None)
    reason = fields.pop("close_reason", None)
    failed = bool(fields.pop("close_failed", False))
    updated_at = fields.pop("updated_at", None)
    fields.setdefault("created_at", event.ts)
    for name, value in fields.items():
        _set_register(doc, name, event.clock, {name: value})
    values = _status_values(status, closed_at or updated_at or event.ts, reason, failed)
    _set_register(doc, "status", event.clock, values)
    _touch(doc, event, updated_at)
    for label in event.data.get("labels") or []:
        _add_element(doc, "labels", f"label:{label}", event.clock, label,
                     lambda item, label=label: item == label)
    for dep in event.data.get("deps") or []:
        _add_dep(doc, event, dep)
    for comment in event.data.get("comments") or []:
        _add_comment(doc, event, comment)


def _update(doc: Doc, event: Change) -> None:
    changes = dict(event.data.get("set") or {})
    if "status" in changes:
        status = changes.pop("status")
        reason = changes.pop("close_reason", None)
        closed_at = changes.pop("closed_at", None) or event.ts
        _set_register(doc, "status", event.clock, _status_values(status, closed_at, reason))
    for name, value in changes.items():
        if name not in STATUS_GROUP:
            _set_register(doc, name, event.clock, {name: value})


def _claim(doc: Doc, event: Change) -> None:
    _set_register(doc, "assignee", event.clock, {"assignee": event.data["assignee"]})
    status = event.data.get("status", "in_progress")
    _set_register(doc, "status", event.clock, _status_values(status, event.ts))
    _set_register(doc, "started_at", event.clock, {"started_at": event.ts})


def _close(doc: Doc, event: Change) -> None:
    values = _status_values("closed", event.ts, event.data.get("reason"),
                            bool(event.data.get("failed")))
    _set_register(doc, "status", event.clock, values)


def _reopen(doc: Doc, event: Change) -> None:
    _set_register(doc, "status", event.clock, _status_values("open", event.ts))


def _delete(doc: Doc, event: Change) -> None:
    _set_register(doc, "deleted", event.clock, {"deleted": True})


def _label_add(doc: Doc, event: Change) -> None:
    label = event.data["label"]
    _add_element(doc, "labels", f"label:{label}", event.clock, label,
                 lambda item: item == label)


def _label_rm(doc: Doc, event: Change) -> None:
    label = event.data["label"]
    _remove_element(doc, "labels", f"label:{label}", event.clock, lambda item: item == label)


def _dep_add(doc: Doc, event: Change) -> None:
    _add_dep(doc, event, event.data)


def _dep_rm(doc: Doc, event: Change) -> None:
    dep_type, target = event.data["type"], event.data["target"]
    _remove_element(doc, "dependencies", f"dep:{dep_type}:{target}", event.clock,
                    lambda d: (d["type"], d["depends_on_id"]) == (dep_type, target))


def _comment_add(doc: Doc, event: Change) -> None:
    _add_comment(doc, event, event.data)


def _init(meta: dict[str, Any], config: dict[str, Any], event: Change) -> None:
    meta["prefix"] = event.data["prefix"]


def _config_set(meta: dict[str, Any], config: dict[str, Any], event: Change) -> None:
    key = event.data["key"]
    if tuple(event.clock) > tuple(config["_clock"].get(key) or ()):
        config["_clock"][key] = list(event.clock)
        if event.data.get("value") is None:
            config["values"].pop(key, None)
        else:
            config["values"][key] = event.data["value"]


BeadHandler = Callable[[Doc, Change], None]
LedgerHandler = Callable[[dict[str, Any], dict[str, Any], Change], None]

# The ops on one bead, each with the handler that applies it to the bead's document.
BEAD_OPS: dict[str, BeadHandler] = {
    "create": _create, "update": _update, "claim": _claim, "close": _close,
    "reopen": _reopen, "delete": _delete, "label.add": _label_add, "label.rm": _label_rm,
    "dep.add": _dep_add, "dep.rm": _dep_rm, "comment.add": _comment_add,
}
# The ops on the ledger as a whole, each with the handler that applies it to (meta, config).
LEDGER_OPS: dict[str, LedgerHandler] = {"init": _init, "config.set": _config_set}
# Every op an event may carry: what the two tables handle, nothing else.
OPS = frozenset(BEAD_OPS.keys() | LEDGER_OPS.keys())


def apply(doc: Doc | None, event: Change) -> Doc:
    """Return the bead document after `event` (a new document for a first event)."""
    handler = BEAD_OPS.get(event.op)
    if handler is None:
        raise StorageError(f"{event.op!r} is not an op on a bead: use one of "
                           f"{', '.join(sorted(BEAD_OPS))}")
    doc = copy.deepcopy(doc) if doc is not None else new_doc(event.bead)
    handler(doc, event)
    _touch(doc, event)
    _normalize(doc)
    return doc


def _normalize(doc: Doc) -> None:
    """One order for every collection, so equal states serialize to equal bytes."""
    doc["labels"] = sorted(set(doc["labels"]))
    doc["dependencies"] = sorted(doc["dependencies"],
                                 key=lambda d: (d["type"], d["depends_on_id"]))
    doc["comments"] = sorted(doc["comments"], key=lambda c: (c["created_at"], c["id"]))


def view(doc: Doc) -> dict[str, Any]:
    """The bead as users and Beads' JSONL see it: no bookkeeping, dependencies name the bead."""
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    out["dependencies"] = [{"issue_id": doc["id"], **dep} for dep in doc["dependencies"]]
    return out


def _copy_register(target: Doc, source: Doc, key: str) -> None:
    """Make `target`'s register `key` what it is in `source` (value and clock)."""
    for book in ("_clock", "_removed"):
        target[book].pop(key, None)
        if key in source[book]:
            target[book][key] = list(source[book][key])
    kind, _, rest = key.partition(":")
    if kind == "label" and rest:
        labels = [x for x in target["labels"] if x != rest]
        target["labels"] = labels + ([rest] if rest in source["labels"] else [])
    elif kind == "dep" and rest:
        dep_type, _, dep_target = rest.partition(":")

        def match(d: dict[str, Any]) -> bool:
            return (d["type"], d["depends_on_id"]) == (dep_type, dep_target)

        target["dependencies"] = [d for d in target["dependencies"] if not match(d)] + [
            d for d in source["dependencies"] if match(d)]
    elif kind == "comment" and rest:
        target["comments"] = [c for c in target["comments"] if c["id"] != rest] + [
            c for c in source["comments"] if c["id"] == rest]
    else:
        for name in STATUS_GROUP if key == "status" else (key,):
            if name in source:
                target[name] = copy.deepcopy(source[name])
            else:
                target.pop(name, None)


def merge(a: Doc, b: Doc) -> Doc:
    """Two versions of one bead, merged register by register: each register takes the write
    with the greater clock. A join of a semilattice, so merging is commutative, associative and
    idempotent, and equals folding the union of both sides' events in any order."""
    result = copy.deepcopy(a)
    keys = set(a["_clock"]) | set(a["_removed"]) | set(b["_clock"]) | set(b["_removed"])
    for key in sorted(keys):
        if _key_clock(b, key) > _key_clock(a, key):
            _copy_register(result, b, key)
    _normalize(result)
    return result

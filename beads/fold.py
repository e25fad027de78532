"""Fold events into bead documents: the one place where an event changes state.

A bead document is what the tree stores for a bead: its fields at the top level (Beads'
names), `labels`, `dependencies`, `comments`, and two bookkeeping maps. `_clock` maps each
register (a scalar field, or `label:<name>`, `dep:<type>:<target>`) to the clock of the write
that set it; `_removed` keeps the clock of a removal. A write applies only when its clock is
newer than the register's, so applying events in any order that ends with the same set gives
the same document. Every function here is total: replay never fails on a well-formed event.
"""

from __future__ import annotations

import copy
from typing import Any

from beads.events import Clock, Event

Doc = dict[str, Any]

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


def _touch(doc: Doc, event: Event, ts: str | None = None) -> None:
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


def _dep_element(event: Event, dep: dict[str, Any]) -> dict[str, Any]:
    element = {"type": dep["type"], "depends_on_id": dep["target"],
               "created_at": dep.get("created_at") or event.ts,
               "created_by": dep.get("created_by") or event.actor}
    if dep.get("metadata") is not None:
        element["metadata"] = dep["metadata"]
    return element


def _add_dep(doc: Doc, event: Event, dep: dict[str, Any]) -> None:
    key = f"dep:{dep['type']}:{dep['target']}"
    _add_element(doc, "dependencies", key, event.clock, _dep_element(event, dep),
                 lambda d: (d["type"], d["depends_on_id"]) == (dep["type"], dep["target"]))


def _add_comment(doc: Doc, event: Event, comment: dict[str, Any]) -> None:
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


def _create(doc: Doc, event: Event) -> None:
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


def _update(doc: Doc, event: Event) -> None:
    changes = dict(event.data.get("set") or {})
    if "status" in changes:
        status = changes.pop("status")
        reason = changes.pop("close_reason", None)
        closed_at = changes.pop("closed_at", None) or event.ts
        _set_register(doc, "status", event.clock, _status_values(status, closed_at, reason))
    for name, value in changes.items():
        if name not in STATUS_GROUP:
            _set_register(doc, name, event.clock, {name: value})


def _claim(doc: Doc, event: Event) -> None:
    _set_register(doc, "assignee", event.clock, {"assignee": event.data["assignee"]})
    status = event.data.get("status", "in_progress")
    _set_register(doc, "status", event.clock, _status_values(status, event.ts))
    _set_register(doc, "started_at", event.clock, {"started_at": event.ts})


def apply(doc: Doc | None, event: Event) -> Doc:
    """Return the bead document after `event` (a new document for a first event)."""
    doc = copy.deepcopy(doc) if doc is not None else new_doc(event.bead)
    op, data = event.op, event.data
    if op == "create":
        _create(doc, event)
    elif op == "update":
        _update(doc, event)
    elif op == "claim":
        _claim(doc, event)
    elif op == "close":
        _set_register(doc, "status", event.clock,
                      _status_values("closed", event.ts, data.get("reason"),
                                     bool(data.get("failed"))))
    elif op == "reopen":
        _set_register(doc, "status", event.clock, _status_values("open", event.ts))
    elif op == "delete":
        _set_register(doc, "deleted", event.clock, {"deleted": True})
    elif op == "label.add":
        label = data["label"]
        _add_element(doc, "labels", f"label:{label}", event.clock, label,
                     lambda item: item == label)
    elif op == "label.rm":
        label = data["label"]
        _remove_element(doc, "labels", f"label:{label}", event.clock, lambda item: item == label)
    elif op == "dep.add":
        _add_dep(doc, event, data)
    elif op == "dep.rm":
        _remove_element(doc, "dependencies", f"dep:{data['type']}:{data['target']}",
                        event.clock,
                        lambda d: (d["type"], d["depends_on_id"]) == (data["type"], data["target"]))
    elif op == "comment.add":
        _add_comment(doc, event, data)
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

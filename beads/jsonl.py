"""Import and export in Beads' JSONL format: one issue per line, as Beads writes them.

Import is all or nothing: every line is parsed and checked before anything is written, and
the events land in one atomic ref update. A line for a bead that already exists updates it
to match the line; a line for a bead deleted here leaves it deleted (an import, like a merge,
never resurrects a bead). Every line passes the rules `bd create` and `bd dep add` apply
(`beads.guards`), and an error names its line:
- the id is well-formed; fields are validated (`Vocabulary.field`); labels, dependencies and
  comments are lists; each label passes `check_label`, each dependency target is a bead id
  or `external:<project>:<id>`;
- a field the line leaves out takes `bd create`'s default, which is Beads' (status open,
  priority 2, type task);
- no new link names its own bead, and no new link closes a cycle of ordering links or makes
  a bead its own ancestor, judged against the ledger plus the links of the lines before it.
What an import restores is kept as Beads wrote it, unlike a create: timestamps, closed beads,
and links to beads absent from the ledger (Beads' exports name wisps and deleted beads it
never exports; such a target does not block, as in Beads).

The cycle rules cost one pass over the final link graphs when they hold no cycle; only an
import that would close one replays its new links in order to name the line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from beads import canonical, guards, query
from beads.creation import DEFAULTS
from beads.errors import BeadsError, InvalidInput
from beads.ids import check_dep_target, check_id
from beads.ledger import Ledger
from beads.model import COLLECTION_KEYS, COMPUTED_KEYS, Vocabulary
from beads.store import Intent
from beads.view import View

IMPORT_CHUNK = 2000
_JSON_TYPES = {str: "a string", dict: "an object", bool: "a boolean", int: "a number",
               float: "a number"}


def parse_lines(lines: Iterable[str]) -> list[tuple[int, dict[str, Any]]]:
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = canonical.loads(line)
        except ValueError as exc:
            raise InvalidInput(f"line {number}: malformed JSON ({exc})") from None
        if not isinstance(record, dict):
            raise InvalidInput(f"line {number}: expected a JSON object")
        records.append((number, record))
    return records


def _list(record: dict[str, Any], key: str) -> list[Any]:
    """The record's `key` as a list (absent or null: empty); anything else is refused."""
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{key} must be a list, not {_JSON_TYPES.get(type(value), 'that')}")
    return value


def _fields(record: dict[str, Any], vocab: Vocabulary) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in record.items():
        if key in COMPUTED_KEYS or key in COLLECTION_KEYS or key in ("id", "deleted"):
            continue
        if value is None:
            continue
        fields[key] = vocab.field(key, value)
    if "title" not in fields:
        raise InvalidInput("no title")
    for name, value in DEFAULTS.items():
        fields.setdefault(name, value)
    if fields["status"] == "closed":
        fields.setdefault("closed_at", fields.get("updated_at") or fields.get("created_at"))
    else:
        fields.pop("closed_at", None)
        fields.pop("close_reason", None)
    return fields


def _deps(record: dict[str, Any], bead_id: str, vocab: Vocabulary) -> list[dict[str, Any]]:
    deps = []
    for dep in _list(record, "dependencies"):
        if not isinstance(dep, dict) or "depends_on_id" not in dep:
            raise InvalidInput("a dependency needs depends_on_id")
        if dep.get("issue_id", bead_id) != bead_id:
            raise InvalidInput(f"dependency of {dep.get('issue_id')!r} listed under {bead_id}")
        target = check_dep_target(dep["depends_on_id"])
        out = {"type": vocab.dep_type(dep.get("type", "blocks")), "target": target}
        for key in ("created_at", "created_by", "metadata"):
            if dep.get(key) is not None:
                out[key] = dep[key]
        deps.append(out)
    return deps


def _comments(record: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for comment in _list(record, "comments"):
        if not isinstance(comment, dict) or not isinstance(comment.get("text"), str):
            raise InvalidInput("a comment needs text")
        out.append({k: comment[k] for k in ("id", "author", "text", "created_at")
                    if comment.get(k) is not None})
    return out


@dataclass
class _Links:
    """The links of the beads an import writes, for the cycle rules."""

    # bead -> every (type, target) it has once imported
    final: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # (line, bead, type, target) for each link the import adds, in the order of the file
    added: list[tuple[int, str, str, str]] = field(default_factory=list)


def _intents(view: View, number: int, record: dict[str, Any], links: _Links) -> list[Intent]:
    bead_id = check_id(record.get("id", ""))
    fields = _fields(record, view.vocab)
    labels = sorted({guards.check_label(x) for x in _list(record, "labels")})
    deps = _deps(record, bead_id, view.vocab)
    comments = _comments(record)
    existing = view.doc(bead_id)
    if existing is not None and existing.get("deleted"):
        return []
    pairs = [(d["type"], d["target"]) for d in deps]
    old_deps = set() if existing is None else {
        (d["type"], d["depends_on_id"]) for d in existing["dependencies"]}
    for kind, target in pairs:
        if (kind, target) not in old_deps:
            guards.check_not_self(bead_id, target)
            links.added.append((number, bead_id, kind, target))
    links.final[bead_id] = pairs
    if existing is None:
        guards.check_new_id(view, bead_id)
        view.new_ids.add(bead_id)
        data: dict[str, Any] = {"fields": fields, "named": True}
        if labels:
            data["labels"] = labels
        if deps:
            data["deps"] = deps
        if comments:
            data["comments"] = comments
        return [Intent("create", bead_id, data)]
    intents = []
    changed = {k: v for k, v in fields.items() if existing.get(k) != v}
    changed.update({k: None for k in existing if not k.startswith("_") and k not in fields
                    and k not in COLLECTION_KEYS and k not in ("id", "updated_at")})
    if changed:
        if "status" in changed or "closed_at" in changed:
            changed.update({k: fields.get(k) for k in ("status", "closed_at", "close_reason")})
        intents.append(Intent("update", bead_id, {"set": changed}))
    have = set(existing["labels"])
    intents += [Intent("label.add", bead_id, {"label": x}) for x in labels if x not in have]
    intents += [Intent("label.rm", bead_id, {"label": x}) for x in sorted(have - set(labels))]
    new_deps = set(pairs)
    intents += [Intent("dep.add", bead_id, d) for d in deps
                if (d["type"], d["target"]) not in old_deps]
    intents += [Intent("dep.rm", bead_id, {"type": t, "target": x})
                for t, x in sorted(old_deps - new_deps)]
    old_comments = {c["id"] for c in existing["comments"]}
    intents += [Intent("comment.add", bead_id, c) for c in comments
                if c.get("id") not in old_comments]
    return intents


def _graphs(db: Any, links: _Links, without_added: bool) -> tuple[dict[str, list[str]],
                                                                  dict[str, list[str]]]:
    """The ledger's ordering and parent-child graphs with the imported beads' links in place
    of their old ones; `without_added`: leaving out the links the import adds."""
    ordering, parents = guards.link_graphs(db)
    added = {(bead, kind, target) for _, bead, kind, target in links.added} \
        if without_added else set()
    for bead, pairs in links.final.items():
        kept = [(kind, target) for kind, target in pairs if (bead, kind, target) not in added]
        for graph, targets in (
                (ordering, [t for kind, t in kept if kind in guards.ORDERING_LINKS]),
                (parents, [t for kind, t in kept if kind == "parent-child"])):
            if targets:
                graph[bead] = targets
            else:
                graph.pop(bead, None)
    return ordering, parents


def _check_cycles(db: Any, links: _Links) -> None:
    """No link the import adds closes a cycle (see the module): one pass over the final
    graphs, then, only if they hold a cycle, the new links one by one in file order."""
    ordering, parents = _graphs(db, links, without_added=False)
    if not query.find_cycles(ordering) and not query.find_cycles(parents):
        return
    ordering, parents = _graphs(db, links, without_added=True)
    for number, bead, kind, target in links.added:
        try:
            guards.check_acyclic_in(bead, target, kind, ordering, parents)
        except BeadsError as exc:
            raise type(exc)(f"line {number}: {exc.message}", **exc.details) from None
        if kind == "parent-child":
            parents.setdefault(bead, []).append(target)
        elif kind in guards.ORDERING_LINKS:
            ordering.setdefault(bead, []).append(target)


def import_records(ledger: Ledger, records: list[tuple[int, dict[str, Any]]]) -> dict[str, int]:
    """Write every record, or nothing; errors name the line."""

    def plan(view: View) -> tuple[list[Intent], Any]:
        seen: dict[str, int] = {}
        links = _Links()
        intents: list[Intent] = []
        created = updated = 0
        for number, record in records:
            try:
                bead_id = check_id(record.get("id", ""))
                if bead_id in seen:
                    raise InvalidInput(f"duplicate id {bead_id!r} "
                                       f"(also on line {seen[bead_id]})")
                seen[bead_id] = number
                new = _intents(view, number, record, links)
            except BeadsError as exc:
                raise type(exc)(f"line {number}: {exc.message}", **exc.details) from None
            if new and new[0].op == "create":
                created += 1
            elif new:
                updated += 1
            intents += new
        _check_cycles(ledger.reader.current(), links)
        return intents, {"created": created, "updated": updated,
                         "unchanged": len(records) - created - updated}

    return ledger.write_plan(f"import {len(records)} beads", plan, chunk=IMPORT_CHUNK)


def export_records(ledger: Ledger) -> Iterable[dict[str, Any]]:
    """Every live committed bead as Beads' JSONL record, sorted by id."""
    db = ledger.db()
    dependents = dict(db.execute("SELECT target, count(*) FROM deps GROUP BY target"))
    for (raw,) in db.execute("SELECT d.doc FROM beads b JOIN docs d ON d.id = b.id "
                             "WHERE b.layer = 0 ORDER BY b.id"):
        bead = canonical.loads(raw)
        bead.pop("schema_version", None)
        for key in ("labels", "dependencies", "comments"):
            if not bead.get(key):
                bead.pop(key, None)
        bead["dependency_count"] = len(bead.get("dependencies", ()))
        bead["dependent_count"] = dependents.get(bead["id"], 0)
        bead["comment_count"] = len(bead.get("comments", ()))
        yield bead


def write_export(ledger: Ledger, out: IO[bytes]) -> int:
    count = 0
    for record in export_records(ledger):
        out.write(canonical.dumps(record) + b"\n")
        count += 1
    return count

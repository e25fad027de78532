"""Import and export in Beads' JSONL format: one issue per line, as Beads writes them.

Import is all or nothing: every line is parsed and validated before anything is written, and
the events land in one atomic ref update. A line for a bead that already exists updates it
to match the line. Export writes each live committed bead with Beads' computed counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from beads import canonical
from beads.errors import BeadsError, InvalidInput
from beads.guards import check_label
from beads.ids import check_dep_target, check_id
from beads.ledger import Ledger
from beads.model import COLLECTION_KEYS, COMPUTED_KEYS, Vocabulary
from beads.store import Intent
from beads.view import View

IMPORT_CHUNK = 2000


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
    status = fields.setdefault("status", "open")
    if status == "closed":
        fields.setdefault("closed_at", fields.get("updated_at") or fields.get("created_at"))
    else:
        fields.pop("closed_at", None)
        fields.pop("close_reason", None)
    return fields


def _deps(record: dict[str, Any], bead_id: str, vocab: Vocabulary) -> list[dict[str, Any]]:
    deps = []
    for dep in record.get("dependencies") or []:
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
    for comment in record.get("comments") or []:
        if not isinstance(comment, dict) or not isinstance(comment.get("text"), str):
            raise InvalidInput("a comment needs text")
        out.append({k: comment[k] for k in ("id", "author", "text", "created_at")
                    if comment.get(k) is not None})
    return out


def _intents(view: View, record: dict[str, Any]) -> list[Intent]:
    bead_id = check_id(record.get("id", ""))
    fields = _fields(record, view.vocab)
    labels = sorted({check_label(x) for x in record.get("labels") or []})
    deps = _deps(record, bead_id, view.vocab)
    comments = _comments(record)
    existing = view.doc(bead_id)
    if existing is None or existing.get("deleted"):
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
    old_deps = {(d["type"], d["depends_on_id"]) for d in existing["dependencies"]}
    new_deps = {(d["type"], d["target"]) for d in deps}
    intents += [Intent("dep.add", bead_id, d) for d in deps
                if (d["type"], d["target"]) not in old_deps]
    intents += [Intent("dep.rm", bead_id, {"type": t, "target": x})
                for t, x in sorted(old_deps - new_deps)]
    old_comments = {c["id"] for c in existing["comments"]}
    intents += [Intent("comment.add", bead_id, c) for c in comments
                if c.get("id") not in old_comments]
    return intents


def import_records(ledger: Ledger, records: list[tuple[int, dict[str, Any]]]) -> dict[str, int]:
    """Write every record, or nothing; errors name the line."""
    seen: dict[str, int] = {}

    def plan(view: View) -> tuple[list[Intent], Any]:
        intents: list[Intent] = []
        created = updated = 0
        for number, record in records:
            try:
                if record.get("id") in seen:
                    raise InvalidInput(f"duplicate id {record['id']!r} "
                                       f"(also on line {seen[record['id']]})")
                seen[record.get("id", "")] = number
                new = _intents(view, record)
            except BeadsError as exc:
                raise InvalidInput(f"line {number}: {exc.message}") from None
            if new and new[0].op == "create":
                created += 1
            elif new:
                updated += 1
            intents += new
        seen.clear()
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

"""Printing for `bd`: JSON for agents, readable lines for people, safe for any terminal.

Bead text is user data: a title may hold escape sequences or newlines. Human output shows
every control character as a visible escape, so nothing a bead says can drive the terminal.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import Any

import orjson

from beads.model import SCHEMA_VERSION

# Control characters, line separators, and lone surrogates: an argument's bytes that were not
# UTF-8 arrive as U+DC80-U+DCFF (Python's surrogateescape) and cannot even be written out.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_CONTROL_NL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if "\udc80" <= char <= "\udcff":
        return f"\\x{ord(char) - 0xdc00:02x}"  # the undecodable byte itself
    return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char, f"\\x{ord(char):02x}"
                                                      if ord(char) < 256 else f"\\u{ord(char):04x}")


def safe(text: Any, keep_newlines: bool = False) -> str:
    """Text with control characters and undecodable bytes made visible; newlines kept only
    if asked."""
    pattern = _CONTROL if keep_newlines else _CONTROL_NL
    return pattern.sub(_escape, str(text))


def encodable(text: str) -> str:
    """Text with only its undecodable bytes (lone surrogates) made visible: what JSON needs,
    since UTF-8 cannot carry them."""
    return _SURROGATE.sub(_escape, text)


def emit_json(value: Any) -> None:
    """Write a JSON document to stdout; dicts carry schema_version."""
    if isinstance(value, dict) and "schema_version" not in value:
        value = {"schema_version": SCHEMA_VERSION, **value}
    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


def emit_raw_list(items: Iterable[bytes]) -> None:
    """A JSON array of already-serialized objects, without decoding them."""
    sys.stdout.buffer.write(b"[" + b",\n".join(items) + b"]\n")
    sys.stdout.flush()


def line(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def status_mark(status: str) -> str:
    return {"open": "○", "in_progress": "◐", "blocked": "●", "closed": "✓", "deferred": "❄",
            "hooked": "⚓", "pinned": "📌"}.get(status, "·")


def bead_line(bead: dict[str, Any]) -> str:
    parts = [status_mark(bead.get("status", "")), safe(bead["id"]),
             f"[P{bead.get('priority', '?')}]", f"[{safe(bead.get('issue_type', ''))}]",
             safe(bead.get("status", "")), "-", safe(bead.get("title", ""))]
    if bead.get("assignee"):
        parts.append(f"@{safe(bead['assignee'])}")
    if bead.get("labels"):
        parts.append(" ".join(f"#{safe(x)}" for x in bead["labels"]))
    return " ".join(parts)


def bead_details(bead: dict[str, Any]) -> list[str]:
    out = [f"{status_mark(bead.get('status', ''))} {safe(bead['id'])}: "
           f"{safe(bead.get('title', ''))}",
           f"  status: {safe(bead.get('status'))}   priority: P{bead.get('priority')}   "
           f"type: {safe(bead.get('issue_type'))}"]
    listed = ("assignee", "owner", "created_by", "created_at", "updated_at", "started_at",
              "closed_at", "close_reason", "due_at", "defer_until", "estimated_minutes",
              "external_ref", "parent")
    known = {"id", "title", "status", "priority", "issue_type", "labels", "dependencies",
             "comments", "dependents", "blocked_by", "schema_version", "description", "design",
             "blockers", "blocked_by_count", "dependency_count", "dependent_count",
             "external_dependencies",
             "acceptance_criteria", "notes", "metadata", "close_failed", "as_of", *listed}
    for key in (*listed, *sorted(set(bead) - known)):
        if bead.get(key) not in (None, ""):
            out.append(f"  {key}: {safe(bead[key])}")
    if bead.get("close_failed"):
        out.append("  outcome: failed")
    if bead.get("labels"):
        out.append("  labels: " + ", ".join(safe(x) for x in bead["labels"]))
    for key in ("description", "design", "acceptance_criteria", "notes"):
        if bead.get(key):
            out.append(f"\n{key.replace('_', ' ').title()}:")
            out += ["  " + safe(row) for row in str(bead[key]).split("\n")]
    if bead.get("metadata"):
        out.append(f"\nMetadata: {safe(orjson.dumps(bead['metadata']).decode())}")
    if bead.get("dependencies"):
        out.append("\nDepends on:")
        out += [f"  → {safe(d['depends_on_id'])} ({safe(d['type'])})"
                for d in bead["dependencies"]]
    if bead.get("dependents"):
        out.append("\nDependents:")
        out += [f"  ← {safe(d['id'])} ({safe(d['type'])})" for d in bead["dependents"]]
    if bead.get("blockers"):
        out.append("\nBlocked by:")
        out += [f"  ⊘ {safe(d['id'])} ({safe(d['reason'])})" for d in bead["blockers"]]
    if bead.get("comments"):
        out.append("\nComments:")
        for comment in bead["comments"]:
            out.append(f"  [{safe(comment['created_at'])}] {safe(comment['author'])}:")
            out += ["    " + safe(row) for row in comment["text"].split("\n")]
    return out

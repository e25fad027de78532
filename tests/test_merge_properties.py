"""Merging bead documents, property-based: over random event histories on diverging clones,
merge is commutative, associative and idempotent, and equals replaying every event."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from beads import fold
from beads.events import Event, make_event

BEAD = "gt-prop"
LABELS = ["a", "b", "c"]
TARGETS = ["gt-x", "gt-y"]


@st.composite
def operation(draw: Any) -> tuple[str, dict[str, Any]]:
    op = draw(st.sampled_from(["update", "close", "reopen", "claim", "label.add", "label.rm",
                               "dep.add", "dep.rm", "comment.add", "delete"]))
    if op == "update":
        field = draw(st.sampled_from(["title", "priority", "notes", "assignee"]))
        value: Any = draw(st.integers(0, 4)) if field == "priority" else draw(
            st.sampled_from(["one", "two", "three", None if field != "title" else "four"]))
        return op, {"set": {field: value}}
    if op == "close":
        return op, {"reason": draw(st.sampled_from(["done", "dup"])),
                    "failed": draw(st.booleans())}
    if op == "claim":
        return op, {"assignee": draw(st.sampled_from(["nux", "slit"]))}
    if op.startswith("label"):
        return op, {"label": draw(st.sampled_from(LABELS))}
    if op.startswith("dep"):
        return op, {"type": draw(st.sampled_from(["blocks", "related"])),
                    "target": draw(st.sampled_from(TARGETS))}
    if op == "comment.add":
        return op, {"text": draw(st.sampled_from(["hi", "ok"]))}
    return op, {}


def history(actor: str, ops: list[tuple[str, dict[str, Any]]], lamports: list[int]) -> list[Event]:
    return [make_event(op, BEAD, actor, f"2026-01-01T00:00:{lamport % 60:02d}.000Z", lamport, data)
            for (op, data), lamport in zip(ops, lamports, strict=False)]


def replay(events: list[Event]) -> fold.Doc:
    doc = None
    for event in sorted(events, key=lambda e: e.clock):
        doc = fold.apply(doc, event)
    assert doc is not None
    return doc


BASE = make_event("create", BEAD, "mayor", "2026-01-01T00:00:00.000Z", 1,
                  {"fields": {"title": "t", "status": "open", "priority": 2,
                              "issue_type": "task"}})

side = st.tuples(st.lists(operation(), max_size=8),
                 st.lists(st.integers(2, 30), min_size=8, max_size=8))


def clone(actor: str, drawn: tuple[list[Any], list[int]]) -> list[Event]:
    ops, lamports = drawn
    return history(actor, ops, sorted(lamports))


@settings(max_examples=300, deadline=None)
@given(side, side, side)
def test_merge_is_a_join_and_equals_replaying_every_event(one: Any, two: Any,
                                                          three: Any) -> None:
    a_events, b_events, c_events = clone("alice", one), clone("bob", two), clone("carol", three)
    a = replay([BASE, *a_events])
    b = replay([BASE, *b_events])
    c = replay([BASE, *c_events])
    assert fold.merge(a, b) == fold.merge(b, a)
    assert fold.merge(a, a) == a
    assert fold.merge(fold.merge(a, b), c) == fold.merge(a, fold.merge(b, c))
    assert fold.merge(a, b) == replay([BASE, *a_events, *b_events])
    # any exchange order converges: merge in, then merge the result back
    ab = fold.merge(a, b)
    assert fold.merge(ab, replay([BASE, *b_events])) == ab
    assert fold.merge(fold.merge(c, a), b) == replay([BASE, *a_events, *b_events, *c_events])

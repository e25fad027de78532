"""The step graph of a cooked formula: flatten children, check ids and `needs`, order the steps.

A step with children (a `parallel` container) becomes a join: each child needs what the
container needed, and the container needs all its children, so whatever needed the container
still waits for the whole group. Children come before their container in the order.
"""

from __future__ import annotations

import difflib
import heapq
import re
from collections.abc import Sequence
from dataclasses import replace

from beads.formula.document import Formula, Step
from beads.formula.source import Source, error_at

STEP_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*\Z")
MAX_ID = 100


def flatten(steps: Sequence[Step]) -> tuple[list[Step], dict[str, str]]:
    """Every step at one level, and the container of each child step."""
    flat: list[Step] = []
    parents: dict[str, str] = {}
    _flatten(steps, (), flat, parents)
    return flat, parents


def _flatten(steps: Sequence[Step], inherited: tuple[str, ...], flat: list[Step],
             parents: dict[str, str]) -> None:
    for step in steps:
        needs = tuple(dict.fromkeys(inherited + step.needs)) if inherited else step.needs
        if not step.children:
            flat.append(replace(step, needs=needs) if inherited else step)
            continue
        _flatten(step.children, needs, flat, parents)
        for child in step.children:
            parents[child.id] = step.id
        flat.append(replace(step, needs=tuple(c.id for c in step.children), children=()))


def ordered(formula: Formula, steps: Sequence[Step]) -> list[Step]:
    """`steps` with ids and needs checked, each after everything it needs (stable)."""
    index: dict[str, int] = {}
    for i, step in enumerate(steps):
        if not STEP_ID.match(step.id) or len(step.id) > MAX_ID:
            raise _error(formula, step, f"step id '{step.id}' is not usable as a bead id",
                         "use letters, digits, '_', '-' and single dots, at most 100 characters")
        if step.id in index:
            raise _error(formula, step, f"duplicate step id '{step.id}'",
                         "give every step its own id (an override in a child formula keeps "
                         "the id; a new step needs a new one)")
        index[step.id] = i
    waiting = [0] * len(steps)
    dependents: list[list[int]] = [[] for _ in steps]
    for i, step in enumerate(steps):
        for need in step.needs:
            j = index.get(need)
            if j is None:
                close = difflib.get_close_matches(need, list(index), n=3)
                hint = f"did you mean {', '.join(close)}?" if close else \
                    "name a step of this formula"
                raise _error(formula, step, f"step '{step.id}' needs unknown step '{need}'",
                             f"fix the id in its needs ({hint})", "needs")
            waiting[i] += 1
            dependents[j].append(i)
    ready = [i for i, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order: list[Step] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(steps[i])
        for j in dependents[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, j)
    if len(order) < len(steps):
        cycle = _cycle(steps, index, {i for i, count in enumerate(waiting) if count > 0})
        raise _error(formula, steps[index[cycle[0]]], f"needs cycle: {' -> '.join(cycle)}",
                     "remove one of these needs so the steps can run in some order")
    return order


def _cycle(steps: Sequence[Step], index: dict[str, int], stuck: set[int]) -> list[str]:
    """A cycle among the steps that never became ready (each needs another stuck one)."""
    seen: dict[int, int] = {}
    path: list[int] = []
    i = min(stuck)
    while i not in seen:
        seen[i] = len(path)
        path.append(i)
        i = next(index[n] for n in steps[i].needs if index[n] in stuck)
    loop = [*path[seen[i]:], i]
    return [steps[j].id for j in loop]


def _error(formula: Formula, step: Step, problem: str, fix: str, key: str = "") -> Exception:
    source: Source | None = step.source or formula.source
    line = source.line_in_table(step.id, key) if source else None
    return error_at(source, f"formula '{formula.name}': {problem}", fix, line)

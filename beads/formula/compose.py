"""Composition: expansions that replace a step, and aspects whose advice is woven around steps.

`expand` replaces one step by an expansion formula's `[[template]]` steps (`{target}`,
`{target.id}`, `{target.title}` and `{target.description}` name the replaced step). The
template steps that need nothing inside the expansion inherit the replaced step's needs, and
whatever needed the replaced step now needs the expansion's last step.

`weave` inserts each matching `[[advice]]` rule's steps around a step (`{step.id}` and
`{step.title}` name it): the first step before it inherits its needs, each inserted step
needs the one before, the step needs the last step inserted before it, and whatever needed
the step now needs the last step inserted after it. So a wrapped step stays in line.
Only steps that existed before the weave are matched, so advice never advises itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from fnmatch import fnmatchcase

from beads.formula.document import Advice, AdviceStep, Formula, Pointcut, Step
from beads.formula.variables import substitute

TARGET = re.compile(r"\{target(?:\.(id|title|description))?\}")
ADVISED = re.compile(r"\{step\.(id|title)\}")


def step_type(step: Step) -> str:
    """A step's type, inferred when it does not say: `parallel` with children, else `task`."""
    return step.type or ("parallel" if step.children else "task")


def all_steps(steps: Iterable[Step]) -> Iterable[Step]:
    """Every step of a tree, children after their parent."""
    for step in steps:
        yield step
        yield from all_steps(step.children)


def find(steps: Iterable[Step], step_id: str) -> Step | None:
    return next((s for s in all_steps(steps) if s.id == step_id), None)


def expand(steps: tuple[Step, ...], target: Step, expansion: Formula,
           overrides: dict[str, str]) -> tuple[Step, ...]:
    """`steps` with `target` replaced by the expansion's template steps."""
    values = {n: v.default for n, v in expansion.vars.items() if v.default is not None}
    values.update({n: v for n, v in overrides.items() if n in expansion.vars})
    made = _instantiate(expansion.template, target, values)
    inside = {s.id for s in made}
    made = tuple(s if any(n in inside for n in s.needs)
                 else replace(s, needs=tuple(dict.fromkeys(target.needs + s.needs)))
                 for s in made)
    last = made[-1].id
    replaced = _splice(steps, target.id, made)
    return _rewire(replaced, {target.id: last}, {})


def materialise(expansion: Formula) -> tuple[Step, ...]:
    """An expansion formula cooked on its own: its template applied to a step named `main`."""
    main = Step(id="main", title=expansion.name, description=expansion.description)
    return _instantiate(expansion.template, main, {})


def _instantiate(template: Sequence[Step], target: Step,
                 values: dict[str, str]) -> tuple[Step, ...]:
    fill = {None: target.id, "id": target.id, "title": target.title,
            "description": target.description}

    def text(s: str) -> str:
        s = substitute(s, values)
        return TARGET.sub(lambda m: fill[m.group(1)], s) if "{target" in s else s

    return tuple(replace(t, id=text(t.id), title=text(t.title), description=text(t.description),
                         acceptance=text(t.acceptance), notes=text(t.notes),
                         needs=tuple(text(n) for n in t.needs),
                         children=_instantiate(t.children, target, values))
                 for t in template)


def _splice(steps: Sequence[Step], target_id: str, made: tuple[Step, ...]) -> tuple[Step, ...]:
    out: list[Step] = []
    for step in steps:
        if step.id == target_id:
            out.extend(made)
        elif step.children:
            out.append(replace(step, children=_splice(step.children, target_id, made)))
        else:
            out.append(step)
    return tuple(out)


def _rewire(steps: Sequence[Step], moved: dict[str, str],
            pinned: dict[str, str]) -> tuple[Step, ...]:
    """Point each need of a step in `moved` at its replacement, except the one need
    `pinned` keeps for a step (the first step woven after a step needs that step itself)."""
    out: list[Step] = []
    for step in steps:
        children = _rewire(step.children, moved, pinned)
        keep = pinned.get(step.id)
        needs = tuple(dict.fromkeys(n if n == keep else moved.get(n, n) for n in step.needs))
        if needs != step.needs or children != step.children:
            step = replace(step, needs=needs, children=children)
        out.append(step)
    return tuple(out)


def matches(rule: Advice, pointcuts: Sequence[Pointcut], step: Step) -> bool:
    """Whether `rule` of an aspect with these pointcuts advises `step`."""
    if rule.target and not fnmatchcase(step.id, rule.target):
        return False
    return not pointcuts or any(_on(p, step) for p in pointcuts)


def _on(pointcut: Pointcut, step: Step) -> bool:
    return ((not pointcut.glob or fnmatchcase(step.id, pointcut.glob))
            and (not pointcut.type or step_type(step) == pointcut.type)
            and (not pointcut.label or pointcut.label in step.labels))


def weave(steps: tuple[Step, ...], aspect: Formula) -> tuple[Step, ...]:
    """`steps` with the aspect's advice inserted around every step it matches."""
    original = {s.id for s in all_steps(steps)}
    moved: dict[str, str] = {}
    pinned: dict[str, str] = {}
    woven = _weave(steps, aspect, original, moved, pinned)
    return _rewire(woven, moved, pinned) if moved else woven


def _weave(steps: Sequence[Step], aspect: Formula, original: set[str], moved: dict[str, str],
           pinned: dict[str, str]) -> tuple[Step, ...]:
    out: list[Step] = []
    for step in steps:
        if step.children:
            step = replace(step, children=_weave(step.children, aspect, original, moved, pinned))
        rules = [r for r in aspect.advice
                 if step.id in original and matches(r, aspect.pointcuts, step)]
        before = [_advice_step(a, step, aspect) for r in rules for a in r.before]
        after = [_advice_step(a, step, aspect) for r in rules for a in r.after]
        previous = step.needs
        for i, added in enumerate(before):
            before[i] = replace(added, needs=previous)
            previous = (before[i].id,)
        out.extend(before)
        out.append(replace(step, needs=previous) if before else step)
        previous = (step.id,)
        for i, added in enumerate(after):
            after[i] = replace(added, needs=previous)
            previous = (after[i].id,)
        if after:
            pinned[after[0].id] = step.id
            moved[step.id] = after[-1].id
        out.extend(after)
    return tuple(out)


def _advice_step(advice: AdviceStep, step: Step, aspect: Formula) -> Step:
    fill = {"id": step.id, "title": step.title}

    def text(s: str) -> str:
        return ADVISED.sub(lambda m: fill[m.group(1)], s) if "{step." in s else s

    step_id = text(advice.id)
    return Step(id=step_id, title=text(advice.title) or step_id,
                description=text(advice.description), type=advice.type,
                acceptance=text(advice.acceptance), origin=aspect.name, source=aspect.source)

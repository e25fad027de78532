"""Cooking: a resolved formula and the caller's variables to a `Protomolecule`.

Pure: no file is read and nothing is written. The steps come from the formula's type: a
workflow's steps; a convoy's legs and synthesis (`convoy`); an expansion's template applied to
a step named `main`; an aspect has none of its own (it is woven into other formulas). Children
are flattened (`graph`), every `{{var}}` is filled in (`variables`), and the steps are ordered
so each comes after what it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beads.formula import compose, convoy, graph
from beads.formula.document import Formula, Step
from beads.formula.errors import FormulaError
from beads.formula.protomolecule import Protomolecule, ProtoStep
from beads.formula.source import error_at
from beads.formula.variables import bind, substitute


def cook(formula: Formula, vars: Mapping[str, str] | None = None, *,
         preset: str = "") -> Protomolecule:
    """The protomolecule of `formula` (as `resolve.load` returns it) with these variables.

    `preset` selects a convoy's legs by one of its `[presets]`.
    """
    if formula.unresolved:
        raise error_at(formula.source, f"formula '{formula.name}' still has extends or "
                       "[compose] to apply", "load it with beads.formula.load, which resolves them")
    given = dict(vars or {})
    for name, value in given.items():
        if not isinstance(value, str):
            raise FormulaError(f"variable '{name}' must be given as a string, "
                               f"not {type(value).__name__}", f"pass --var {name}=<text>")
    values = bind(formula, given)
    if formula.type == "convoy":
        convoy.validate(formula)
        values.update(convoy.bind_inputs(formula, given))
        steps = convoy.steps(formula, values, preset)
    else:
        if preset:
            raise error_at(formula.source, f"preset '{preset}' given for '{formula.name}', "
                           f"a {formula.type} formula", "presets select the legs of a convoy; "
                           "leave the preset out")
        steps = _steps(formula, values)
    title = values.get("title") if "title" in formula.vars else ""
    description = values.get("desc") if "desc" in formula.vars else ""
    return Protomolecule(
        formula=formula.name,
        title=title or formula.name,
        description=description or substitute(formula.description, values),
        steps=steps,
        version=formula.version,
        type=formula.type,
        pour=bool(formula.pour),
        agent=formula.agent,
        phase=formula.phase,
        review_only=bool(formula.review_only),
        squash=dict(formula.squash) if formula.squash is not None else None,
        vars=values,
        source=formula.path,
        preset=preset,
        prompts={k: substitute(v, values) for k, v in formula.prompts.items()},
        output={k: substitute(v, values) for k, v in formula.output.items()},
    )


def _steps(formula: Formula, values: Mapping[str, str]) -> tuple[ProtoStep, ...]:
    if formula.type == "expansion":
        tree = compose.materialise(formula)
    elif formula.type == "aspect":
        tree = ()
    else:
        tree = formula.steps
    containers = {s.id for s in compose.all_steps(tree) if s.children}
    flat, parents = graph.flatten(tree)
    return tuple(_concrete(step, parents.get(step.id), step.id in containers, values)
                 for step in graph.ordered(formula, flat))


def _concrete(step: Step, parent: str | None, container: bool,
              values: Mapping[str, str]) -> ProtoStep:
    def fill(text: str) -> str:
        return substitute(text, values)

    return ProtoStep(
        id=step.id,
        title=fill(step.title) or step.id,
        description=fill(step.description),
        type=step.type or ("parallel" if container else "task"),
        needs=step.needs,
        acceptance=fill(step.acceptance),
        gate=_fill_gate(step.gate, values),
        parent=parent,
        assignee=fill(step.assignee),
        labels=tuple(fill(label) for label in step.labels),
        priority=step.priority,
        notes=fill(step.notes),
        parallel=step.parallel,
        interactive=step.interactive,
        origin=step.origin,
    )


def _fill_gate(gate: dict[str, Any] | None, values: Mapping[str, str]) -> dict[str, Any] | None:
    if gate is None:
        return None
    return {k: substitute(v, values) if isinstance(v, str) else v for k, v in gate.items()}

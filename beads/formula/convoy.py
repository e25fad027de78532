"""Convoy formulas: parallel `[[legs]]` and a `[synthesis]` that waits for them.

Cooked, each selected leg is a step that needs nothing (so all are ready at once, one per
polecat) and the synthesis is a step that needs every selected leg it depends on (all of
them when `depends_on` is empty). A `[presets.<name>]` selects a subset of the legs.
`[inputs]` are checked like variables; `[prompts]` and `[output]` are Go templates for the
runner and pass through with only declared `{{name}}` placeholders filled in.
"""

from __future__ import annotations

from collections.abc import Mapping

from beads.formula.document import Formula, Leg
from beads.formula.protomolecule import ProtoStep
from beads.formula.source import error_at
from beads.formula.variables import substitute

SYNTHESIS_ID = "synthesis"


def validate(formula: Formula) -> None:
    """Cross-references inside a convoy: synthesis, presets and inputs name what exists."""
    source = formula.source
    legs = {leg.id for leg in formula.legs}
    if not legs:
        raise error_at(source, f"convoy formula '{formula.name}' has no legs",
                       'add a [[legs]] entry with id = "<leg-id>"')
    if SYNTHESIS_ID in legs and formula.synthesis:
        line = source.line_of_value("id", SYNTHESIS_ID) if source else None
        raise error_at(source, f"leg id '{SYNTHESIS_ID}' is taken by the synthesis step",
                       "rename the leg", line)
    for dep in formula.synthesis.depends_on if formula.synthesis else ():
        if dep not in legs:
            raise error_at(source, f"[synthesis] depends_on names unknown leg '{dep}'",
                           f"use leg ids ({', '.join(sorted(legs))})",
                           source.line_of_key("depends_on") if source else None)
    for preset in formula.presets.values():
        for leg in preset.legs:
            if leg not in legs:
                raise error_at(source, f"preset '{preset.name}' names unknown leg '{leg}'",
                               f"use leg ids ({', '.join(sorted(legs))})",
                               source.line_of_key(f"presets.{preset.name}") if source else None)
    for spec in formula.inputs.values():
        for other in spec.required_unless:
            if other not in formula.inputs:
                raise error_at(source, f"input '{spec.name}' has required_unless naming unknown "
                               f"input '{other}'", "name an input of this formula",
                               source.line_of_key(f"inputs.{spec.name}") if source else None)


def bind_inputs(formula: Formula, given: Mapping[str, str]) -> dict[str, str]:
    """The value of every input given or defaulted; a required one missing is an error."""
    bound = {n: v for n, v in given.items() if n in formula.inputs}
    for spec in formula.inputs.values():
        if spec.name in bound:
            continue
        if spec.default is not None:
            bound[spec.name] = spec.default
            continue
        others = spec.required_unless
        if spec.required or (others and not any(o in given for o in others)):
            choice = " or ".join(f"--var {n}=<value>" for n in (spec.name, *others))
            about = f" ({spec.description})" if spec.description else ""
            raise error_at(formula.source, f"formula '{formula.name}': missing input "
                           f"'{spec.name}'{about}", f"pass {choice}",
                           formula.source.line_of_key(f"inputs.{spec.name}")
                           if formula.source else None)
    return bound


def selected_legs(formula: Formula, preset: str) -> tuple[Leg, ...]:
    """The legs a preset selects (all legs without one), in the formula's order."""
    if not preset:
        return formula.legs
    chosen = formula.presets.get(preset)
    if chosen is None:
        names = ", ".join(sorted(formula.presets)) or "none"
        raise error_at(formula.source, f"convoy '{formula.name}' has no preset '{preset}'",
                       f"use one of its presets ({names})")
    wanted = set(chosen.legs)
    return tuple(leg for leg in formula.legs if leg.id in wanted)


def steps(formula: Formula, values: Mapping[str, str], preset: str) -> tuple[ProtoStep, ...]:
    """The legs (each a step ready at once) and the synthesis step that needs them."""
    legs = selected_legs(formula, preset)
    agent = formula.agent
    made = [ProtoStep(id=leg.id, title=substitute(leg.title or leg.id, values),
                      description=substitute(leg.description, values),
                      focus=substitute(leg.focus, values), agent=leg.agent or agent,
                      review_only=leg.review_only or bool(formula.review_only),
                      origin=formula.name)
            for leg in legs]
    synthesis = formula.synthesis
    if synthesis is not None:
        ids = [leg.id for leg in legs]
        wanted = set(synthesis.depends_on)
        needs = tuple(i for i in ids if i in wanted) if wanted else tuple(ids)
        made.append(ProtoStep(id=SYNTHESIS_ID,
                              title=substitute(synthesis.title or "Synthesis", values),
                              description=substitute(synthesis.description, values),
                              needs=needs, origin=formula.name))
    return tuple(made)

"""Overlays: a town's or rig's edits to a formula's steps without forking the formula.

An overlay file `<dir>/<formula>.toml` holds `[[step-overrides]]` entries with `step_id`,
`mode` and `description`: `replace` swaps the step's description, `append` adds a line to it,
`skip` removes the step (whatever needed it then needs what it needed). The first directory
holding an overlay wins (pass the rig's before the town's), as in Gas Town. An override
naming no step is reported as a warning, not an error: the formula may have moved on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from beads.formula.compose import all_steps
from beads.formula.document import Formula, Step
from beads.formula.parse import Table, decode, read_source
from beads.formula.source import Source

MODES = ("replace", "append", "skip")


@dataclass(frozen=True)
class StepOverride:
    step_id: str
    mode: str
    description: str = ""


def find_overlay(formula_name: str, overlay_dirs: Iterable[str | Path]) -> Path | None:
    """The overlay file for a formula in the first directory that has one."""
    for directory in overlay_dirs:
        path = Path(directory) / f"{formula_name}.toml"
        if path.is_file():
            return path
    return None


def load_overlay(path: str | Path) -> tuple[StepOverride, ...]:
    """The step overrides of one overlay file."""
    source = read_source(path)
    top = Table(decode(source), "the overlay", source, frozenset({"step-overrides"}),
                 source.line_of_key)
    return tuple(_override(source, entry) for entry in top.tables("step-overrides"))


def _override(source: Source, data: object) -> StepOverride:
    step_id = data.get("step_id") if isinstance(data, dict) else None
    t = Table(data, f"override of '{step_id}'", source,
               frozenset({"step_id", "mode", "description"}),
               lambda key: source.line_of_value("step_id", step_id) if step_id else None)
    if not t.text("step_id"):
        raise t.fail("step_id", "an override has no step_id", 'add step_id = "<step-id>"')
    mode = t.text("mode")
    if mode not in MODES:
        raise t.fail("mode", f"mode '{mode}' is not an override mode",
                     f"use one of {', '.join(MODES)}")
    return StepOverride(step_id=t.text("step_id"), mode=mode, description=t.text("description"))


def apply_overlay(formula: Formula, overrides: Sequence[StepOverride]) -> Formula:
    """The formula with the overrides applied, and a warning for each that names no step."""
    steps = formula.steps
    warnings = list(formula.warnings)
    for override in overrides:
        changed = _apply(steps, override)
        if changed is None:
            warnings.append(f"overlay names unknown step '{override.step_id}' of "
                            f"'{formula.name}' (stale override)")
        else:
            steps = changed
    return replace(formula, steps=steps, warnings=tuple(warnings))


def _apply(steps: tuple[Step, ...], override: StepOverride) -> tuple[Step, ...] | None:
    out: list[Step] = []
    found = False
    for step in steps:
        if step.id == override.step_id:
            found = True
            if override.mode == "replace":
                out.append(replace(step, description=override.description))
            elif override.mode == "append":
                out.append(replace(step, description=f"{step.description}\n{override.description}"))
            continue
        children = _apply(step.children, override) if step.children else None
        if children is not None:
            found = True
            step = replace(step, children=children)
        out.append(step)
    if not found:
        return None
    if override.mode == "skip":
        skipped = next(s for s in all_steps(steps) if s.id == override.step_id)
        return _bypass(tuple(out), skipped)
    return tuple(out)


def _bypass(steps: tuple[Step, ...], skipped: Step) -> tuple[Step, ...]:
    """Whatever needed the skipped step needs what it needed instead."""
    out: list[Step] = []
    for step in steps:
        if skipped.id in step.needs:
            needs: list[str] = []
            for need in step.needs:
                needs.extend(skipped.needs if need == skipped.id else (need,))
            step = replace(step, needs=tuple(dict.fromkeys(needs)))
        if step.children:
            step = replace(step, children=_bypass(step.children, skipped))
        out.append(step)
    return tuple(out)

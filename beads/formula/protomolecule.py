"""The protomolecule: a formula cooked with its variables into a flat, ordered list of steps.

Pouring it is a direct mapping: one root bead for the molecule, one child bead per step (in
`steps` order), and one blocking dependency from a step to each id in its `needs`. It is
plain data, stored as JSON (`to_dict` / `from_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from beads.formula.errors import FormulaError

SCHEMA = 1

# The ledger type of a step's bead: a human step and a parallel container are work like a
# task (what kind of step it was stays in `ProtoStep.type`).
_BEAD_TYPES = {"human": "task", "parallel": "task"}


@dataclass(frozen=True)
class ProtoStep:
    """One concrete step: every `{{var}}` substituted, `needs` naming steps of this molecule."""

    id: str
    title: str
    description: str = ""
    type: str = "task"
    needs: tuple[str, ...] = ()
    acceptance: str = ""
    gate: dict[str, Any] | None = None
    parent: str | None = None
    assignee: str = ""
    labels: tuple[str, ...] = ()
    priority: int | None = None
    notes: str = ""
    parallel: bool = False
    interactive: bool = False
    focus: str = ""
    agent: str = ""
    review_only: bool = False
    origin: str = ""

    @property
    def bead_type(self) -> str:
        """The issue type of the bead this step pours into."""
        return _BEAD_TYPES.get(self.type, self.type)

    def to_dict(self) -> dict[str, Any]:
        """The step as JSON-ready data; fields at their default are left out."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("id", "title") or value != f.default:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: Any) -> ProtoStep:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise _malformed("a step is not an object with an id")
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise _malformed(f"step {data['id']!r} has unknown fields {sorted(unknown)}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        try:
            return cls(**values)
        except TypeError as exc:
            raise _malformed(str(exc)) from None


@dataclass(frozen=True)
class Protomolecule:
    """A cooked formula: the molecule's metadata and its steps, ready to pour."""

    formula: str
    title: str
    steps: tuple[ProtoStep, ...]
    description: str = ""
    version: int = 1
    type: str = "workflow"
    pour: bool = False
    agent: str = ""
    phase: str = ""
    review_only: bool = False
    squash: dict[str, Any] | None = None
    vars: dict[str, str] = field(default_factory=dict)
    source: str = ""
    preset: str = ""
    prompts: dict[str, str] = field(default_factory=dict)
    output: dict[str, str] = field(default_factory=dict)

    def step(self, step_id: str) -> ProtoStep:
        """The step with this id."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise FormulaError(f"molecule '{self.formula}' has no step '{step_id}'",
                           f"use one of: {', '.join(s.id for s in self.steps)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data; `from_dict` reads it back to an equal protomolecule."""
        out: dict[str, Any] = {"protomolecule": SCHEMA}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = [s.to_dict() for s in value] if f.name == "steps" else value
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Protomolecule:
        if not isinstance(data, dict) or data.get("protomolecule") != SCHEMA:
            raise _malformed(f"not a protomolecule of schema {SCHEMA}")
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names - {"protomolecule"}
        if unknown:
            raise _malformed(f"unknown fields {sorted(unknown)}")
        if not isinstance(data.get("formula"), str) or not isinstance(data.get("steps"), list):
            raise _malformed("it has no formula name or no step list")
        values = {k: v for k, v in data.items() if k in names}
        values["steps"] = tuple(ProtoStep.from_dict(s) for s in data["steps"])
        try:
            return cls(**values)
        except TypeError as exc:
            raise _malformed(str(exc)) from None


def _malformed(problem: str) -> FormulaError:
    return FormulaError(f"stored protomolecule is malformed: {problem}",
                        "cook the formula again")

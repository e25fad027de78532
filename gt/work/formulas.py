"""Formulas in a town: where they are found, and cooking one into a protomolecule.

Search order: the rig's `<town>/<rig>/formulas/`, then the town's `<town>/formulas/`, then
the built-ins of `beads.formula`. Both directories are committed on the town's main branch
(they are outside every ignored path), so a town's workflows travel with the town: a clone or
another machine finds the same formulas. A path to a formula file works wherever a name does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from beads.formula import BUILTIN_DIR, FormulaEntry, Protomolecule, list_formulas, load
from beads.mol import source
from gt.town import Town

FORMULAS_DIR = "formulas"


def search_dirs(town: Town, rig: str | None = None) -> list[Path]:
    """The directories searched before the built-ins: the rig's (when given), the town's."""
    dirs = [town.root / rig / FORMULAS_DIR] if rig else []
    return [*dirs, town.root / FORMULAS_DIR]


def where(entry: FormulaEntry, town: Town) -> str:
    """Which level provides a formula: `rig:<name>`, `town` or `builtin`."""
    parent = entry.path.parent
    if parent == BUILTIN_DIR:
        return "builtin"
    if parent == town.root / FORMULAS_DIR:
        return "town"
    if parent.name == FORMULAS_DIR and parent.parent.parent == town.root:
        return f"rig:{parent.parent.name}"
    return str(parent)


def listing(town: Town, rig: str | None = None) -> list[dict[str, Any]]:
    """Every formula the town offers (a rig's first), with where it comes from."""
    out = []
    for entry in list_formulas(search_dirs(town, rig)):
        out.append({"name": entry.name, "path": str(entry.path), "source": where(entry, town)})
    return out


def describe(town: Town, name: str, rig: str | None = None) -> dict[str, Any]:
    """A formula resolved (extends, compose) with its steps, as `gt formula show` prints it."""
    formula = load(name, search_dirs(town, rig))
    steps = [{"id": s.id, "title": s.title, "needs": list(s.needs)} for s in formula.steps]
    legs = [{"id": leg.id, "title": leg.title} for leg in formula.legs]
    variables = {n: {"description": v.description, "default": v.default,
                     "required": v.required} for n, v in formula.vars.items()}
    return {"name": formula.name, "type": formula.type, "version": formula.version,
            "description": formula.description, "vars": variables, "steps": steps,
            "legs": legs, "path": str(formula.source.path) if formula.source else ""}


def cook(town: Town, name: str, variables: Mapping[str, str], preset: str, rig: str | None,
         db: Callable[[], sqlite3.Connection]) -> tuple[Protomolecule, str | None]:
    """The protomolecule of a formula (or a `bd cook` protomolecule bead), and that bead."""
    return source.protomolecule(name, variables, preset, search_dirs(town, rig), db)


def is_formula(town: Town, name: str, rig: str | None = None) -> bool:
    return source.is_formula(name, search_dirs(town, rig))

"""What a pour starts from: a formula (by name or path, cooked here) or a protomolecule bead.

A name is looked up on the formula search path first; only when no formula has that name is
it taken as the id of a protomolecule bead (`bd cook`). A protomolecule is already cooked:
variables and presets are fixed, so giving them again is refused.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from beads import query
from beads.errors import BeadsError, InvalidInput
from beads.formula import FormulaError, Protomolecule, cook, find, load
from beads.formula.resolve import is_path
from beads.mol import record


def is_formula(name: str, search_dirs: Sequence[str | Path]) -> bool:
    """Whether `name` names a formula file or a formula on the search path."""
    if is_path(name):
        return True
    try:
        find(name, search_dirs)
    except FormulaError:
        return False
    return True


def protomolecule(name: str, variables: Mapping[str, str], preset: str,
                  search_dirs: Sequence[str | Path],
                  db: Callable[[], sqlite3.Connection]) -> tuple[Protomolecule, str | None]:
    """The protomolecule `name` gives, and the protomolecule bead it came from (if one).

    `db` opens the read cache, asked only when `name` is not a formula.
    """
    if is_formula(name, search_dirs):
        return cook(load(name, search_dirs), variables, preset=preset), None
    try:
        bead_id = query.resolve(db(), name)
    except BeadsError:
        raise FormulaError(f"no formula or protomolecule named {name!r}",
                           "`bd formula list` shows the formulas, `bd list -l template` the "
                           "protomolecules") from None
    proto = record.proto_of(query.get(db(), bead_id))
    if proto is None:
        raise InvalidInput(f"{bead_id} is not a protomolecule (bd cook makes one)")
    if variables or preset:
        raise InvalidInput(f"{bead_id} is already cooked, with its variables fixed: pour "
                           f"the formula '{proto.formula}' to give others")
    return proto, bead_id

"""The formula language: workflow templates (TOML, or Beads' JSON form) cooked into protomolecules.

    formula = load("shiny", search_dirs)          # find, parse, resolve extends/compose
    proto = cook(formula, {"feature": "login"})   # a flat, ordered list of concrete steps
    list_formulas(search_dirs)                    # what the search path offers

Modules: `document` (the dataclasses), `parse` (files to documents), `variables` (binding and
`{{name}}` substitution), `resolve` (search path, extends), `compose` (expansions, aspects),
`convoy` (legs, synthesis, presets), `overlay` (step overrides), `graph` (children, needs,
order), `cook` and `protomolecule` (the result). Nothing here writes to a ledger.
"""

from beads.formula.cook import cook
from beads.formula.document import Formula
from beads.formula.errors import FormulaError
from beads.formula.parse import parse_file, parse_text
from beads.formula.protomolecule import Protomolecule, ProtoStep
from beads.formula.resolve import (
    BUILTIN_DIR,
    FormulaEntry,
    default_search_dirs,
    find,
    list_formulas,
    load,
)

__all__ = [
    "BUILTIN_DIR",
    "Formula",
    "FormulaEntry",
    "FormulaError",
    "ProtoStep",
    "Protomolecule",
    "cook",
    "default_search_dirs",
    "find",
    "list_formulas",
    "load",
    "parse_file",
    "parse_text",
]

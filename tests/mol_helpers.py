"""Helpers for the molecule and formula tests: a small formula written here, and where bd
finds formulas in a work tree."""

from __future__ import annotations

from pathlib import Path

from tests.bd_helpers import invoke
from tests.conftest import tip

DUO = """
formula = "duo"
description = "Two steps, the second after the first."
version = 3

[vars.what]
description = "What is done"
required = true

[vars.mode]
default = "careful"
enum = ["careful", "quick"]

[[steps]]
id = "first"
title = "Start {{what}}"
description = "Begin {{what}} ({{mode}})."

[[steps]]
id = "second"
title = "Finish {{what}}"
needs = ["first"]
"""


def add_formula(repo: Path, name: str, text: str) -> Path:
    """Write a formula into the work tree's `.beads/formulas/` (bd's first search dir)."""
    path = repo / ".beads" / "formulas" / f"{name}.formula.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def fails(repo: Path, *args: str) -> str:
    """A command that must fail with one line on stderr and write nothing."""
    before = tip(repo)
    result = invoke(repo, *args)
    assert result.exit_code == 1, result.stdout
    assert result.stderr.startswith("bd: ") and result.stderr.count("\n") == 1, result.stderr
    assert tip(repo) == before
    return result.stderr

"""`bd formula list|show` and `bd cook` (beads/cli/formulas.py): the formula search path,
previews, protomolecule beads."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bd_helpers import js, ok
from tests.conftest import git, tip
from tests.mol_helpers import DUO, add_formula, fails


@pytest.fixture
def mol_repo(bd_repo: Path) -> Path:
    """A `gt` ledger whose work tree offers the formula `duo` in `.beads/formulas/`."""
    add_formula(bd_repo, "duo", DUO)
    return bd_repo


def test_formula_list_shows_the_search_path_in_order(mol_repo: Path, tmp_path: Path) -> None:
    home = tmp_path / "home" / ".beads" / "formulas"
    home.mkdir(parents=True)
    (home / "duo.formula.toml").write_text(DUO.replace('"Two steps', '"Shadowed'))
    (home / "solo.formula.toml").write_text('formula = "solo"\n[[steps]]\nid = "only"\n')
    (home / "broken.formula.toml").write_text("formula = [\n")
    listed = {f["name"]: f for f in js(mol_repo, "formula", "list")}
    assert listed["duo"]["where"] == "project" and listed["duo"]["version"] == 3
    assert listed["duo"]["description"].startswith("Two steps")
    assert listed["solo"]["where"] == "user" and listed["solo"]["type"] == "workflow"
    assert listed["bead-triage"]["where"] == "builtin"
    assert listed["broken"]["type"] == "unreadable" and listed["broken"]["error"]
    human = ok(mol_repo, "formula", "list").stdout
    assert any(row.startswith("duo ") and "project" in row for row in human.splitlines())


def test_formula_show_previews_with_placeholders(mol_repo: Path) -> None:
    shown = js(mol_repo, "formula", "show", "duo")
    assert shown["placeholders"] == ["what"]
    assert [s["title"] for s in shown["steps"]] == ["Start {{what}}", "Finish {{what}}"]
    assert shown["vars"][1] == {"name": "mode", "description": "", "default": "careful",
                                "required": False, "enum": ["careful", "quick"],
                                "pattern": ""}
    given = js(mol_repo, "formula", "show", "duo", "--var", "what=tea")
    assert given["placeholders"] == [] and given["steps"][0]["title"] == "Start tea"
    human = ok(mol_repo, "formula", "show", "duo").stdout
    assert "what (required)" in human and "second: Finish {{what}}  (needs first)" in human


def test_cook_stores_a_protomolecule_and_dry_run_writes_nothing(mol_repo: Path) -> None:
    before = tip(mol_repo)
    preview = js(mol_repo, "cook", "duo", "--var", "what=tea", "--dry-run")
    assert preview["formula"] == "duo" and len(preview["steps"]) == 2
    assert tip(mol_repo) == before
    cooked = js(mol_repo, "cook", "duo", "--var", "what=tea")
    assert cooked["steps"] == 2 and cooked["bead"]["labels"] == ["template"]
    assert git(mol_repo, "log", "-1", "--format=%s", "refs/heads/beads").strip() == \
        "cook duo (2 steps)"
    poured = js(mol_repo, "mol", "pour", cooked["proto"])
    assert poured["current"]["title"] == "Start tea"
    assert "already cooked" in fails(mol_repo, "mol", "pour", cooked["proto"], "--var", "x=1")



@pytest.mark.parametrize(("args", "message"), [
    (("cook", "duo"), "missing required variable 'what'"),
    (("cook", "duo", "--var", "=x"), "invalid --var '=x'"),
    (("cook", "duo", "--var", "what=x", "--preset", "all"), "preset 'all' given for 'duo'"),
    (("formula", "show", "nope"), "formula 'nope' not found"),
    (("formula", "show", "no/such.formula.toml"), "no formula file at no/such"),
])
def test_bad_input_is_one_line_and_writes_nothing(mol_repo: Path, args: tuple[str, ...],
                                                  message: str) -> None:
    assert message in fails(mol_repo, *args)

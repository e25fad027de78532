"""`bd mol ...` (beads/cli/molecules.py): pour, walk, squash and burn molecules; JSON and
human forms, one-line errors, hostile text as data."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from tests.bd_helpers import invoke, js, ok
from tests.conftest import FIXTURES, git, needs_fixtures, run_bd, tip
from tests.mol_helpers import DUO, add_formula, fails


@pytest.fixture
def mol_repo(bd_repo: Path) -> Path:
    """A `gt` ledger whose work tree offers the formula `duo` in `.beads/formulas/`."""
    add_formula(bd_repo, "duo", DUO)
    return bd_repo


# ----------------------------------------------------------------------- pour and walk


def test_pour_then_walk_with_bd_ready(mol_repo: Path) -> None:
    poured = js(mol_repo, "mol", "pour", "duo", "--var", "what=tea")
    root, steps = poured["root"], poured["steps"]
    assert steps == {"first": f"{root}.1", "second": f"{root}.2"}
    assert poured["current"]["id"] == "first" and poured["total"] == 2
    assert [b["id"] for b in js(mol_repo, "ready")] == [steps["first"]]
    done = ok(mol_repo, "mol", "step", "done", root).stdout
    assert done == f"✓ first done (1/2)\nnext: second ({steps['second']}): Finish tea\n"
    assert [b["id"] for b in js(mol_repo, "ready")] == [steps["second"]]
    ok(mol_repo, "close", steps["second"])  # closing the bead directly works the same
    assert js(mol_repo, "ready") == []
    progress = js(mol_repo, "mol", "progress", root)
    assert (progress["done"], progress["total"], progress["complete"]) == (2, 2, True)
    current = ok(mol_repo, "mol", "current", root).stdout
    assert f"every step is done: squash it with `bd mol squash {root}`" in current


def test_current_progress_show_and_list(mol_repo: Path) -> None:
    root = js(mol_repo, "mol", "pour", "duo", "--var", "what=tea")["root"]
    current = js(mol_repo, "mol", "current", root)
    assert current["current"]["description"] == "Begin tea (careful)."
    assert [s["state"] for s in current["steps"]] == ["ready", "blocked"]
    assert current["steps"][1]["waiting_on"] == ["first"]
    human = ok(mol_repo, "mol", "current", root).stdout.splitlines()
    assert human[:4] == [f"{root}: duo (formula duo, 0/2 done)",
                         f"  ○ first ({root}.1): Start tea",
                         f"  ⊘ second ({root}.2): Finish tea  waits for first",
                         f"current: first ({root}.1): Start tea"]
    shown = js(mol_repo, "mol", "show", f"{root}.2")  # a step names its molecule
    assert shown["id"] == root and shown["molecule"]["vars"] == {"what": "tea",
                                                                  "mode": "careful"}
    assert "proto" not in shown["molecule"]
    assert "vars: mode=careful, what=tea" in ok(mol_repo, "mol", "show", root).stdout
    wisp = js(mol_repo, "mol", "wisp", "duo", "--var", "what=air")
    listed = js(mol_repo, "mol", "list")
    assert [(m["id"], m["ephemeral"], m["current"]) for m in listed] == [
        (root, False, "first"), (wisp["root"], True, "first")]
    rows = ok(mol_repo, "mol", "list").stdout.splitlines()
    assert rows[1] == f"{wisp['root']} [wisp] duo 0/2 current: first - duo"
    assert js(mol_repo, "mol", "stale") == []
    stale = js(mol_repo, "mol", "stale", "--idle", "0s")
    assert {m["id"] for m in stale} == {root, wisp["root"]}


def test_pour_onto_a_bead(mol_repo: Path) -> None:
    work = js(mol_repo, "create", "Make tea")["id"]
    poured = js(mol_repo, "mol", "pour", "duo", "--var", "what=tea", "--on", work)
    assert poured["root"] == work and poured["attached"]
    assert poured["steps"]["first"] == f"{work}.1"
    assert "already carries molecule 'duo'" in fails(
        mol_repo, "mol", "pour", "duo", "--var", "what=x", "--on", work)


def test_step_done_with_a_step_id_reason_and_force(mol_repo: Path) -> None:
    root = js(mol_repo, "mol", "pour", "duo", "--var", "what=tea")["root"]
    assert "'second' waits for first" in fails(mol_repo, "mol", "step", "done", root, "second")
    forced = js(mol_repo, "mol", "step", "done", root, "second", "--force", "--reason", "why")
    assert forced["finished"]["outcome"] == "why" and forced["current"]["id"] == "first"
    assert "has no step 'third'" in fails(mol_repo, "mol", "step", "done", root, "third")


# ----------------------------------------------------------------------- squash and burn


def test_wisp_lifecycle_squash_commits_one_digest(mol_repo: Path) -> None:
    before = tip(mol_repo)
    wisp = js(mol_repo, "mol", "wisp", "duo", "--var", "what=air")
    assert wisp["inline"] and wisp["steps"] == {} and tip(mol_repo) == before
    assert ok(mol_repo, "mol", "wisp", "duo", "--var", "what=air").stdout.startswith(
        "poured duo as wisp ")
    ok(mol_repo, "mol", "step", "done", wisp["root"])
    last = js(mol_repo, "mol", "step", "done", wisp["root"])
    assert last["complete"] and tip(mol_repo) == before
    squashed = js(mol_repo, "mol", "squash", wisp["root"])
    assert git(mol_repo, "rev-list", "--count", f"{before}..refs/heads/beads").strip() == "1"
    assert squashed["digest"]["status"] == "closed" and squashed["burned"] == [wisp["root"]]
    assert wisp["root"] not in {w["id"] for w in js(mol_repo, "wisp", "list")}


def test_wisp_burn_commits_nothing(mol_repo: Path) -> None:
    before = tip(mol_repo)
    wisp = js(mol_repo, "mol", "wisp", "duo", "--var", "what=air")["root"]
    ok(mol_repo, "mol", "step", "done", wisp)
    assert ok(mol_repo, "mol", "burn", wisp).stdout == \
        f"burned wisp {wisp} (1 wisps; nothing committed)\n"
    assert tip(mol_repo) == before and js(mol_repo, "mol", "list") == []


def test_durable_squash_and_burn(mol_repo: Path) -> None:
    first = js(mol_repo, "mol", "pour", "duo", "--var", "what=tea")["root"]
    assert "not finished: 2 of 2 steps open" in fails(mol_repo, "mol", "squash", first)
    squashed = ok(mol_repo, "mol", "squash", first, "--force", "--title", "Tea, abandoned")
    assert squashed.stdout.startswith(f"squashed {first} into ")
    assert js(mol_repo, "show", first)["status"] == "closed"
    second = js(mol_repo, "mol", "pour", "duo", "--var", "what=tea")["root"]
    burned = js(mol_repo, "mol", "burn", second, "--reason", "no water")
    assert burned["closed"] == [f"{second}.1", f"{second}.2"] and burned["committed"]
    assert js(mol_repo, "show", f"{second}.2")["close_reason"] == "burned: no water"
    assert "was burned" in fails(mol_repo, "mol", "step", "done", second)
    assert {m["state"] for m in js(mol_repo, "mol", "list", "--all")} == {"squashed",
                                                                          "burned"}


# ----------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("args", "message"), [
    (("mol", "pour", "nope"), "no formula or protomolecule named 'nope'"),
    (("mol", "pour", "duo"), "missing required variable 'what'"),
    (("mol", "pour", "duo", "--var", "what"), "invalid --var 'what': use --var name=value"),
    (("mol", "pour", "duo", "--var", "what=x", "--var", "mode=loud"),
     "variable 'mode' is 'loud', not one of its allowed values"),
    (("mol", "pour", "duo", "--var", "what=x", "--on", "gt-zzzz"), "no bead matches"),
    (("mol", "wisp", "./missing.formula.toml"), "no formula file at"),
    (("mol", "current", "gt-zzzz"), "no bead matches 'gt-zzzz'"),
    (("mol", "stale", "--idle", "soon"), "invalid duration 'soon'"),
])
def test_bad_input_is_one_line_and_writes_nothing(mol_repo: Path, args: tuple[str, ...],
                                                  message: str) -> None:
    assert message in fails(mol_repo, *args)


def test_not_a_molecule_json_error(mol_repo: Path) -> None:
    plain = js(mol_repo, "create", "plain")["id"]
    result = invoke(mol_repo, "mol", "progress", plain, "--json")
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads(result.stderr) == {"error": f"{plain} is not a molecule",
                                         "code": "invalid_input"}


def test_hostile_variable_text_through_a_real_process(mol_repo: Path) -> None:
    hostile = "$(touch pwned); \x1b[2J\x07 `id` ' \" {{what}}"
    result = run_bd(mol_repo, "mol", "pour", "duo", "--var", f"what={hostile}", "--json",
                    check=True)
    root = json.loads(result.stdout)["root"]
    assert json.loads(run_bd(mol_repo, "show", f"{root}.1", "--json", check=True).stdout
                      )["title"] == f"Start {hostile}"
    human = run_bd(mol_repo, "mol", "current", root, check=True).stdout
    assert "\x1b" not in human and "\x07" not in human and "\\x1b[2J\\x07" in human
    assert not (mol_repo / "pwned").exists()
    bad = run_bd(mol_repo, "mol", "pour", "duo", "--var", "what=\udcff")
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "UTF-8" in bad.stderr


# ----------------------------------------------------------------------- the big one


@needs_fixtures
def test_towers_of_hanoi_10_pours_as_one_commit_in_a_real_process(mol_repo: Path) -> None:
    formula = mol_repo / ".beads" / "formulas" / "towers-of-hanoi-10.formula.toml"
    shutil.copy(FIXTURES / "gastown-formulas" / formula.name, formula)
    before = tip(mol_repo)
    started = time.perf_counter()
    result = run_bd(mol_repo, "mol", "pour", "towers-of-hanoi-10", "--json", check=True)
    elapsed = time.perf_counter() - started
    poured = json.loads(result.stdout)
    assert len(poured["steps"]) == 1025 and poured["current"]["id"] == "setup"
    assert git(mol_repo, "rev-list", "--count", f"{before}..refs/heads/beads").strip() == "1"
    print(f"pour of towers-of-hanoi-10, whole process: {elapsed:.2f}s")
    run_bd(mol_repo, "mol", "step", "done", poured["root"], check=True)
    ready = json.loads(run_bd(mol_repo, "ready", "--json", check=True).stdout)
    assert [b["id"] for b in ready] == [poured["steps"]["move-1"]]

"""Molecules in the ledger (`beads.mol`): pour, walk with `ready`, step done, squash, burn,
wisps, pouring onto a bead, and Gas Town's own formulas poured unchanged.

Everything runs on real repositories; formulas are written here, except the fixture tests,
which skip where `../shared` is absent.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from beads import Ledger
from beads.errors import BeadsError, GuardError, InvalidInput
from beads.formula import FormulaError
from beads.mol import burn, current_step, pour, squash, step_done, store_proto
from beads.mol import progress as progress_of
from beads.mol.record import load
from beads.mol.source import protomolecule
from beads.mol.survey import molecules, stale
from tests.conftest import FIXTURES, git, needs_fixtures, tip

GASTOWN = FIXTURES / "gastown-formulas"

TRIO = """
formula = "trio"
description = "Plan, two halves in parallel, then join them."
version = 2

[vars.thing]
description = "What is built"
required = true

[[steps]]
id = "plan"
title = "Plan {{thing}}"
description = "Write down how {{thing}} is built."

[[steps]]
id = "left"
title = "Left half of {{thing}}"
needs = ["plan"]

[[steps]]
id = "right"
title = "Right half of {{thing}}"
needs = ["plan"]
acceptance = "Both halves fit"

[[steps]]
id = "join"
title = "Join {{thing}}"
needs = ["left", "right"]
"""

PATROL = """
formula = "patrol"
description = "A patrol that squashes itself when done."
pour = {pour}

[squash]
trigger = "on_complete"
template_type = "operational"
include_metrics = false

[[steps]]
id = "look"
title = "Look around"

[[steps]]
id = "report"
title = "Report"
needs = ["look"]
"""


def formulas(repo: Path) -> Path:
    path = repo / ".beads" / "formulas"
    path.mkdir(parents=True, exist_ok=True)
    (path / "trio.formula.toml").write_text(TRIO)
    (path / "patrol.formula.toml").write_text(PATROL.format(pour="false"))
    (path / "patrol-poured.formula.toml").write_text(
        PATROL.format(pour="true").replace('"patrol"', '"patrol-poured"'))
    return path


def cooked(ledger: Ledger, name: str, dirs: list[Path], **variables: str) -> Any:
    return protomolecule(name, variables, "", dirs, ledger.db)[0]


def commits(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "refs/heads/beads"))


def ready_ids(ledger: Ledger) -> set[str]:
    return {b["id"] for b in ledger.ready()}


def walk_with_ready(ledger: Ledger, root: str, steps: dict[str, str]) -> list[set[str]]:
    """Close whatever `ready` offers of the molecule, wave after wave, until nothing is left;
    each wave as the set of step ids that were ready together."""
    by_bead = {bead: step for step, bead in steps.items()}
    waves = []
    while True:
        offered = {by_bead[b] for b in ready_ids(ledger) if b in by_bead}
        if not offered:
            return waves
        waves.append(offered)
        ledger.close([steps[s] for s in sorted(offered)])


# ----------------------------------------------------------------------- pour and walk


def test_pour_is_one_commit_with_a_root_and_a_child_bead_per_step(ledger: Ledger,
                                                                  repo: Path) -> None:
    dirs = [formulas(repo)]
    before = commits(repo)
    poured = pour(ledger, cooked(ledger, "trio", dirs, thing="bridge"))
    assert commits(repo) == before + 1
    root = ledger.get(poured.root)
    assert root["issue_type"] == "molecule" and "molecule" in root["labels"]
    info = root["metadata"]["molecule"]
    assert (info["formula"], info["version"], info["vars"]) == ("trio", 2, {"thing": "bridge"})
    assert poured.steps == {"plan": f"{poured.root}.1", "left": f"{poured.root}.2",
                            "right": f"{poured.root}.3", "join": f"{poured.root}.4"}
    join = ledger.get(poured.steps["join"])
    assert join["parent"] == poured.root and join["title"] == "Join bridge"
    assert {(d["type"], d["depends_on_id"]) for d in join["dependencies"]} == {
        ("parent-child", poured.root), ("blocks", poured.steps["left"]),
        ("blocks", poured.steps["right"])}
    assert ledger.get(poured.steps["right"])["acceptance_criteria"] == "Both halves fit"
    assert join["metadata"]["mol_step"]["id"] == "join"


def test_ready_offers_the_steps_in_the_order_their_needs_allow(ledger: Ledger,
                                                               repo: Path) -> None:
    poured = pour(ledger, cooked(ledger, "trio", [formulas(repo)], thing="bridge"))
    assert poured.root not in ready_ids(ledger)  # a molecule's root is machinery, not work
    assert walk_with_ready(ledger, poured.root, poured.steps) == [
        {"plan"}, {"left", "right"}, {"join"}]
    assert progress_of.complete(load(ledger.db(), poured.root))


def test_current_step_and_step_done_walk_the_molecule(ledger: Ledger, repo: Path) -> None:
    poured = pour(ledger, cooked(ledger, "trio", [formulas(repo)], thing="bridge"))
    state = current_step(ledger, poured.root)
    assert state["current"]["id"] == "plan"
    assert state["current"]["description"] == "Write down how bridge is built."
    assert [s["state"] for s in state["steps"]] == ["ready", "blocked", "blocked", "blocked"]
    with pytest.raises(GuardError, match="'join' waits for left, right"):
        step_done(ledger, poured.root, "join")
    after = step_done(ledger, poured.root, reason="drawn")
    assert after["finished"]["id"] == "plan" and after["finished"]["outcome"] == "drawn"
    assert after["current"]["id"] == "left" and (after["done"], after["total"]) == (1, 4)
    with pytest.raises(InvalidInput, match="already done"):
        step_done(ledger, poured.root, "plan")
    # A step's bead id works as well as its formula id, and a step names its molecule.
    step_done(ledger, poured.steps["plan"], poured.steps["right"])
    ledger.claim(poured.steps["left"])
    assert current_step(ledger, poured.root)["current"]["state"] == "active"
    last = step_done(ledger, poured.root)
    assert last["finished"]["id"] == "left" and last["current"]["id"] == "join"
    final = step_done(ledger, poured.root)
    assert final["complete"] and final["current"] is None and "digest" not in final
    with pytest.raises(InvalidInput, match="every step"):
        step_done(ledger, poured.root)


def test_a_resumed_reader_sees_the_first_undone_step(ledger: Ledger, repo: Path) -> None:
    poured = pour(ledger, cooked(ledger, "trio", [formulas(repo)], thing="x"))
    ledger.close([poured.steps["plan"], poured.steps["left"]])
    fresh = Ledger(repo, actor="bob")  # another session, another process's view
    assert current_step(fresh, poured.root)["current"]["id"] == "right"


def test_hostile_variable_text_is_stored_as_data(ledger: Ledger, repo: Path) -> None:
    hostile = "$(rm -rf /); `id` \x1b[31m\u202e'\"{{thing}}"
    poured = pour(ledger, cooked(ledger, "trio", [formulas(repo)], thing=hostile))
    assert ledger.get(poured.steps["plan"])["title"] == f"Plan {hostile}"
    assert ledger.get(poured.root)["metadata"]["molecule"]["vars"]["thing"] == hostile


def test_a_title_a_variable_makes_too_long_is_refused_naming_the_step(ledger: Ledger,
                                                                       repo: Path) -> None:
    before = tip(repo)
    with pytest.raises(InvalidInput, match="step 'plan': title is"):
        pour(ledger, cooked(ledger, "trio", [formulas(repo)], thing="x" * 600))
    assert tip(repo) == before


def test_an_aspect_has_no_steps_to_pour(ledger: Ledger, repo: Path) -> None:
    dirs = [formulas(repo)]
    (dirs[0] / "guard.formula.toml").write_text(
        'formula = "guard"\ntype = "aspect"\n[[advice]]\ntarget = "plan"\n'
        '[[advice.before]]\nid = "{step.id}-check"\ntitle = "Check"\n')
    with pytest.raises(InvalidInput, match="no steps to pour"):
        pour(ledger, cooked(ledger, "guard", dirs))


def test_an_unknown_name_is_neither_a_formula_nor_a_protomolecule(ledger: Ledger,
                                                                   repo: Path) -> None:
    with pytest.raises(FormulaError, match="no formula or protomolecule named 'nope'"):
        protomolecule("nope", {}, "", [formulas(repo)], ledger.db)
    plain = ledger.create("plain bead")
    with pytest.raises(InvalidInput, match="not a protomolecule"):
        protomolecule(plain["id"], {}, "", [formulas(repo)], ledger.db)
    with pytest.raises(InvalidInput, match="not a molecule"):
        load(ledger.db(), plain["id"])


# ----------------------------------------------------------------------- protomolecules


def test_cook_keeps_a_protomolecule_that_pours_without_its_file(ledger: Ledger,
                                                               repo: Path) -> None:
    dirs = [formulas(repo)]
    proto = store_proto(ledger, cooked(ledger, "trio", dirs, thing="kiln"))
    assert proto["issue_type"] == "molecule" and proto["labels"] == ["template"]
    (dirs[0] / "trio.formula.toml").unlink()
    again, source = protomolecule(proto["id"], {}, "", dirs, ledger.db)
    assert source == proto["id"]
    poured = pour(ledger, again, from_proto=source)
    assert ledger.get(poured.steps["join"])["title"] == "Join kiln"
    assert ledger.get(poured.root)["metadata"]["molecule"]["from_proto"] == proto["id"]
    with pytest.raises(InvalidInput, match="already cooked"):
        protomolecule(proto["id"], {"thing": "other"}, "", dirs, ledger.db)
    with pytest.raises(InvalidInput, match="is a protomolecule, not a molecule"):
        load(ledger.db(), proto["id"])
    assert [m["id"] for m in molecules(ledger.db())] == [poured.root]


# ----------------------------------------------------------------------- pouring onto a bead


def test_pour_onto_a_bead_makes_it_the_root(ledger: Ledger, repo: Path) -> None:
    dirs = [formulas(repo)]
    work = ledger.create("Build the bridge", metadata={"team": "blue"})
    older = ledger.create("Earlier child", parent=work["id"])
    poured = pour(ledger, cooked(ledger, "trio", dirs, thing="bridge"), attach_to=work["id"])
    assert poured.root == work["id"] and poured.attached
    assert older["id"] == f"{work['id']}.1"
    assert list(poured.steps.values()) == [f"{work['id']}.{n}" for n in (2, 3, 4, 5)]
    root = ledger.get(work["id"])
    assert root["issue_type"] == "task" and root["metadata"]["team"] == "blue"
    assert root["metadata"]["molecule"]["first"] == 2
    assert [s.id for s in load(ledger.db(), work["id"]).steps] == ["plan", "left", "right",
                                                                  "join"]
    with pytest.raises(GuardError, match="already carries molecule 'trio'"):
        pour(ledger, cooked(ledger, "trio", dirs, thing="again"), attach_to=work["id"])
    with pytest.raises(BeadsError, match="open children"):
        ledger.close([work["id"]])
    burn(ledger, work["id"])
    assert ledger.get(work["id"])["status"] == "open"  # its owner closes the bead
    second = pour(ledger, cooked(ledger, "trio", dirs, thing="again"), attach_to=work["id"])
    assert second.steps["plan"] == f"{work['id']}.6"
    assert current_step(ledger, work["id"])["current"]["bead"] == f"{work['id']}.6"


# ----------------------------------------------------------------------- squash and burn


def test_squash_a_finished_molecule_into_one_digest_commit(ledger: Ledger,
                                                           repo: Path) -> None:
    poured = pour(ledger, cooked(ledger, "trio", [formulas(repo)], thing="bridge"))
    with pytest.raises(GuardError, match="not finished: 4 of 4"):
        squash(ledger, poured.root)
    for step in ("plan", "left", "right", "join"):
        step_done(ledger, poured.root, step, reason=f"{step} ok")
    before = commits(repo)
    result = squash(ledger, poured.root)
    assert commits(repo) == before + 1
    digest = result["digest"]
    assert digest["status"] == "closed" and "digest" in digest["labels"]
    assert ("related", poured.root) in {(d["type"], d["depends_on_id"])
                                        for d in digest["dependencies"]}
    summary = digest["metadata"]["digest"]
    assert [(s["id"], s["outcome"]) for s in summary["steps"]] == [
        ("plan", "plan ok"), ("left", "left ok"), ("right", "right ok"), ("join", "join ok")]
    assert summary["metrics"]["steps_done"] == 4
    root = ledger.get(poured.root)
    assert root["status"] == "closed" and root["metadata"]["molecule"]["state"] == "squashed"
    assert root["metadata"]["molecule"]["digest"] == digest["id"]
    with pytest.raises(GuardError, match="was squashed"):
        squash(ledger, poured.root)


def test_forced_squash_closes_the_open_steps(ledger: Ledger, repo: Path) -> None:
    poured = pour(ledger, cooked(ledger, "trio", [formulas(repo)], thing="x"))
    step_done(ledger, poured.root)
    result = squash(ledger, poured.root, title="Half a bridge", force=True)
    assert result["digest"]["title"] == "Half a bridge"
    assert sorted(result["closed"]) == sorted(poured.steps[s] for s in ("left", "right", "join"))
    assert {ledger.get(b)["status"] for b in poured.steps.values()} == {"closed"}
    assert "- [ ] join: Join x (not done)" in result["digest"]["description"]


def test_burn_closes_a_durable_molecule_as_burned_in_one_commit(ledger: Ledger,
                                                                repo: Path) -> None:
    poured = pour(ledger, cooked(ledger, "trio", [formulas(repo)], thing="x"))
    step_done(ledger, poured.root)
    before = commits(repo)
    result = burn(ledger, poured.root, reason="plans changed")
    assert commits(repo) == before + 1 and result["committed"]
    assert "close_reason" not in ledger.get(poured.steps["plan"])  # done before the burn
    assert ledger.get(poured.steps["join"])["close_reason"] == "burned: plans changed"
    assert ledger.get(poured.root)["metadata"]["molecule"]["state"] == "burned"
    assert not ready_ids(ledger) & set(poured.steps.values())
    with pytest.raises(GuardError, match="was burned"):
        step_done(ledger, poured.root)
    assert molecules(ledger.db()) == []
    assert [m["state"] for m in molecules(ledger.db(), include_finished=True)] == ["burned"]


# ----------------------------------------------------------------------- wisps


def test_a_wisp_keeps_its_steps_inline_and_commits_nothing(ledger: Ledger,
                                                           repo: Path) -> None:
    before = tip(repo)
    poured = pour(ledger, cooked(ledger, "trio", [formulas(repo)], thing="x"), ephemeral=True)
    assert poured.inline and poured.steps == {} and poured.root.startswith("gt-wisp-")
    assert tip(repo) == before and ledger.wisp_ids() == [poured.root]
    assert current_step(ledger, poured.root)["current"]["id"] == "plan"
    with pytest.raises(GuardError, match="waits for plan"):
        step_done(ledger, poured.root, "left")
    after = step_done(ledger, poured.root, reason="planned")
    assert after["current"]["id"] == "left" and tip(repo) == before
    done = ledger.get(poured.root)["metadata"]["molecule"]["done"]
    assert done["plan"]["reason"] == "planned" and done["plan"]["by"] == "alice"
    step_done(ledger, poured.root, "right", force=False)
    assert [s["state"] for s in current_step(ledger, poured.root)["steps"]] == [
        "done", "ready", "done", "blocked"]


def test_squashing_a_wisp_commits_one_digest_and_burns_the_wisp(ledger: Ledger,
                                                                repo: Path) -> None:
    poured = pour(ledger, cooked(ledger, "trio", [formulas(repo)], thing="x"), ephemeral=True)
    for _ in range(4):
        step_done(ledger, poured.root)
    before = commits(repo)
    result = squash(ledger, poured.root)
    assert commits(repo) == before + 1
    assert result["burned"] == [poured.root] and ledger.wisp_ids() == []
    assert result["digest"]["dependencies"] == []  # nothing links to a burned wisp
    assert [s["outcome"] for s in result["digest"]["metadata"]["digest"]["steps"]] == [
        "done"] * 4


def test_burning_a_wisp_leaves_no_trace_in_history(ledger: Ledger, repo: Path) -> None:
    before = tip(repo)
    poured = pour(ledger, cooked(ledger, "trio", [formulas(repo)], thing="x"), ephemeral=True)
    step_done(ledger, poured.root)
    result = burn(ledger, poured.root)
    assert result == {"molecule": poured.root, "burned": [poured.root], "closed": [],
                      "committed": False}
    assert tip(repo) == before and ledger.wisp_ids() == []
    log = git(repo, "log", "-p", "refs/heads/beads")
    assert poured.root not in log


def test_a_formula_that_says_pour_makes_step_wisps(ledger: Ledger, repo: Path) -> None:
    before = tip(repo)
    poured = pour(ledger, cooked(ledger, "patrol-poured", [formulas(repo)]), ephemeral=True)
    assert not poured.inline
    assert sorted(ledger.wisp_ids()) == sorted([poured.root, *poured.steps.values()])
    after = step_done(ledger, poured.root)
    assert after["current"]["id"] == "report" and tip(repo) == before
    assert ledger.get(poured.steps["look"])["status"] == "closed"
    # The formula's [squash] says on_complete: the last step squashes the molecule.
    final = step_done(ledger, poured.root)
    digest = final["digest"]
    assert ledger.wisp_ids() == [] and commits(repo) == 2
    assert digest["metadata"]["digest"]["template_type"] == "operational"
    assert "metrics" not in digest["metadata"]["digest"]  # include_metrics = false


def test_on_complete_squashes_a_root_only_wisp_too(ledger: Ledger, repo: Path) -> None:
    poured = pour(ledger, cooked(ledger, "patrol", [formulas(repo)]), ephemeral=True)
    step_done(ledger, poured.root)
    final = step_done(ledger, poured.root)
    assert final["digest"]["title"] == "Digest: patrol" and ledger.wisp_ids() == []


def test_only_a_wisp_keeps_its_steps_inline(ledger: Ledger, repo: Path) -> None:
    with pytest.raises(InvalidInput, match="only a wisp"):
        pour(ledger, cooked(ledger, "trio", [formulas(repo)], thing="x"), inline=True)


# ----------------------------------------------------------------------- listing and staleness


def test_list_and_stale(ledger: Ledger, repo: Path) -> None:
    dirs = [formulas(repo)]
    finished = pour(ledger, cooked(ledger, "patrol", dirs))
    ledger.close(list(finished.steps.values()))
    idle = pour(ledger, cooked(ledger, "trio", dirs, thing="x"))
    wisp = pour(ledger, cooked(ledger, "trio", dirs, thing="y"), ephemeral=True)
    listed = {m["id"]: m for m in molecules(ledger.db())}
    assert set(listed) == {finished.root, idle.root, wisp.root}
    assert (listed[finished.root]["done"], listed[finished.root]["total"]) == (2, 2)
    assert listed[wisp.root]["ephemeral"] and listed[idle.root]["current"] == "plan"
    now = datetime.now(UTC)
    assert {m["id"]: m["reason"] for m in stale(ledger.db(), 3600, now)} == {
        finished.root: "every step is done but the molecule is still open"}
    later = {m["id"] for m in stale(ledger.db(), 3600, now + timedelta(hours=2))}
    assert later == {finished.root, idle.root, wisp.root}


# ----------------------------------------------------------------------- Gas Town's formulas


@needs_fixtures
def test_shiny_enterprise_pours_and_walks_with_its_expansion(ledger: Ledger) -> None:
    proto = cooked(ledger, "shiny-enterprise", [GASTOWN], feature="login")
    poured = pour(ledger, proto)
    waves = walk_with_ready(ledger, poured.root, poured.steps)
    assert waves == [{s.id} for s in proto.steps]  # a chain: one step at a time
    assert [w.pop() for w in waves] == [
        "design", "implement.draft", "implement.refine-1", "implement.refine-2",
        "implement.refine-3", "implement.refine-4", "review", "test", "submit"]


@needs_fixtures
def test_code_review_synthesis_waits_for_every_leg(ledger: Ledger) -> None:
    proto = cooked(ledger, "code-review", [GASTOWN], pr="42")
    poured = pour(ledger, proto)
    legs = {s.id for s in proto.steps if s.id != "synthesis"}
    assert len(legs) == 10
    by_bead = {b: s for s, b in poured.steps.items()}
    assert {by_bead[b] for b in ready_ids(ledger)} == legs
    ordered = sorted(legs)
    ledger.close([poured.steps[leg] for leg in ordered[:-1]])
    assert {by_bead[b] for b in ready_ids(ledger)} == {ordered[-1]}
    assert current_step(ledger, poured.root)["current"]["id"] == ordered[-1]
    ledger.close([poured.steps[ordered[-1]]])
    assert {by_bead[b] for b in ready_ids(ledger)} == {"synthesis"}


@needs_fixtures
def test_security_audit_aspect_wraps_the_steps_it_matches(ledger: Ledger) -> None:
    proto = cooked(ledger, "shiny-secure", [GASTOWN], feature="login")
    poured = pour(ledger, proto)
    order = [w.pop() for w in walk_with_ready(ledger, poured.root, poured.steps)]
    assert order.index("implement-security-prescan") < order.index("implement") \
        < order.index("implement-security-postscan")
    assert order.index("submit-security-prescan") < order.index("submit") \
        < order.index("submit-security-postscan")
    assert len(order) == len(proto.steps) == 9


@needs_fixtures
def test_towers_of_hanoi_10_pours_as_exactly_one_commit(ledger: Ledger, repo: Path) -> None:
    proto = cooked(ledger, str(GASTOWN / "towers-of-hanoi-10.formula.toml"), [])
    before = commits(repo)
    poured = pour(ledger, proto)
    assert commits(repo) == before + 1 and len(poured.steps) == 1025
    changed = git(repo, "diff-tree", "-r", "--name-only", "refs/heads/beads").split()
    assert len([p for p in changed if p.startswith("issues/")]) == 1026
    assert ready_ids(ledger) == {poured.steps["setup"]}
    step_done(ledger, poured.root)
    assert ready_ids(ledger) == {poured.steps["move-1"]}
    assert load(ledger.db(), poured.root).steps[-1].id == "verify"


def test_the_pour_commit_is_verified_like_any_other(ledger: Ledger, repo: Path) -> None:
    pour(ledger, cooked(ledger, "trio", [formulas(repo)], thing="x"))
    result = subprocess.run(["git", "fsck", "--no-dangling"], cwd=repo, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    from beads.verify import verify

    report = verify(ledger.repo, ledger.db())
    assert report.ok, report.to_dict()

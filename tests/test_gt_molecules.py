"""Molecules at work in a real town: formulas slung onto beads, primed as checklists, walked
step by step by the scripted runtime (resuming after a kill), convoy formulas fanned out to
polecats with the synthesis slung when every leg lands, and patrols woken by the reactor."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, needs_fixtures
from tests.gt_helpers import GT, bd, gt, make_town, run, wait_for

GASTOWN = FIXTURES / "gastown-formulas"
SCRIPT = {"edits": [{"op": "write", "path": "feature.txt", "content": "done\n"}]}
# Waits once (its marker file absent): a step that is still running when the session dies.
SLEEP_ONCE = ("import os, sys, time\n"
              "marker = sys.argv[1]\n"
              "if not os.path.exists(marker):\n"
              "    open(marker, 'w').close()\n"
              "    time.sleep(120)\n")


@pytest.fixture
def town(tmp_path: Path) -> Path:
    return make_town(tmp_path)


def new_bead(town: Path, title: str, script: dict[str, Any] | None = None) -> str:
    args = ["create", title, "--json"]
    if script is not None:
        args += ["--metadata", json.dumps({"script": script})]
    return json.loads(bd(town / "proj", *args).stdout)["id"]


def show(town: Path, bead: str) -> dict[str, Any]:
    return json.loads(bd(town / "proj", "show", bead, "--json").stdout)


def steps_of(town: Path, root: str) -> list[dict[str, Any]]:
    return json.loads(bd(town / "proj", "mol", "progress", root, "--json").stdout)["steps"]


def idle_runtime(town: Path) -> None:
    """A runtime that does nothing, so a test can work the molecule by hand."""
    gt(town, "config", "agent", "set", "idle", f"{sys.executable} -c 'import time; "
       "time.sleep(300)'", "--prompt", "none")


def events_by_commit(town: Path) -> list[tuple[str, list[dict[str, Any]]]]:
    """(subject, events) of each commit of the rig's ledger, oldest first."""
    raw = run(["git", "log", "--reverse", "--format=%x1e%s%n%B", "beads"],
              town / "proj" / ".repo.git").stdout
    out = []
    for chunk in raw.split("\x1e")[1:]:
        subject, _, body = chunk.partition("\n")
        events = [json.loads(line[len("Bead-Event: "):]) for line in body.splitlines()
                  if line.startswith("Bead-Event: ")]
        out.append((subject, events))
    return out


def add_town_formulas(town: Path, *names: str) -> None:
    """Copy fixture formulas into the town's formulas/ and commit them on its main branch."""
    target = town / "formulas"
    target.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(GASTOWN / f"{name}.formula.toml", target)
    run(["git", "add", "formulas"], town)
    run(["git", "commit", "-q", "-m", "add formulas"], town)


def merge_all(town: Path, count: int) -> None:
    """Run the Refinery until `count` requests have merged."""
    merged = 0
    for _ in range(count * 3):
        outcome = json.loads(gt(town, "refinery", "run", "proj", "--once", "--json").stdout)
        merged += sum(1 for o in outcome if o["action"] == "merged")
        if merged >= count:
            return
    raise AssertionError(f"only {merged} of {count} requests merged")


def test_sling_onto_a_bead_is_one_commit_and_prime_shows_the_checklist(town: Path) -> None:
    idle_runtime(town)
    bead = new_bead(town, "Add the report")
    gt(town, "sling", "polecat-work", "proj/polecats/nux", "--on", bead, "--agent", "idle",
       "--var", "checks=make test", "--no-convoy")
    sling = [(s, e) for s, e in events_by_commit(town) if s == f"sling {bead} to "
             "proj/polecats/nux"]
    assert len(sling) == 1, "the pour and the hook are one commit"
    events = sling[0][1]
    # the new polecat's agent bead is made in that commit too, then the steps, given to it
    creates = [e for e in events if e["op"] == "create"]
    assert creates[0]["bead"] == "pj-proj-polecat-nux"
    assert [e["bead"] for e in creates[1:]] == [f"{bead}.{n}" for n in range(1, 6)]
    assert all(e["data"]["fields"]["assignee"] == "proj/polecats/nux" for e in creates[1:])
    hooks = [e for e in events if e["op"] == "update" and e["bead"] == bead
             and e["data"]["set"].get("status") == "hooked"]
    assert hooks and any(e["data"].get("set", {}).get("hook_bead") == bead for e in events)
    ready = json.loads(bd(town / "proj", "ready", "--json").stdout)
    assert [r["id"] for r in ready if r["id"].startswith(bead)] == [f"{bead}.1"]

    prime = gt(town, "prime", "--agent", "proj/polecats/nux").stdout
    assert f"## Molecule polecat-work ({bead}): 0/5 steps done" in prime
    assert f"→ current step orient ({bead}.1): Understand the work" in prime
    assert "○ then implement: Make the change" in prime
    assert "`gt mol step done`" in prime
    as_json = json.loads(gt(town, "prime", "--agent", "proj/polecats/nux", "--json").stdout)
    assert as_json["molecule"]["current"]["acceptance"].startswith("You can say")

    agent = ["--agent", "proj/polecats/nux"]
    done = json.loads(gt(town, "mol", "step", "done", *agent, "--json").stdout)
    assert done["finished"]["id"] == "orient" and done["current"]["id"] == "implement"
    assert "make test pass" in json.loads(gt(
        town, "mol", "step", "done", *agent, "--json").stdout)["current"]["acceptance"]
    current = gt(town, "mol", "current", *agent).stdout
    assert "✓ 2 step(s) done" in current and "→ current step verify" in current
    for _ in range(3):
        last = gt(town, "mol", "step", "done", *agent)
    assert "Every step of the molecule is done: run `gt done`." in last.stdout
    assert "Every step is done: run `gt done`." in gt(town, "prime", *agent).stdout
    refused = gt(town, "mol", "step", "done", *agent, check=False)
    assert refused.returncode == 1 and "every step" in refused.stderr
    gt(town, "session", "stop", "proj/polecats/nux")


def test_sling_without_on_pours_a_fresh_molecule_and_hooks_its_root(town: Path) -> None:
    idle_runtime(town)
    slung = json.loads(gt(town, "sling", "conflict-resolve", "proj/polecats/nux", "--var",
                          "original=pj-old", "--agent", "idle", "--no-convoy",
                          "--json").stdout)
    root = slung["molecule"]
    assert slung["bead"] == root and not slung["attached"] and slung["steps"] == 4
    hook = json.loads(gt(town, "hook", "proj/polecats/nux", "--json").stdout)["bead"]
    assert hook["id"] == root and hook["status"] == "hooked"
    assert hook["issue_type"] == "molecule"
    # one commit, named for the root it made: the pour and the hook
    commits = [(s, [e["op"] for e in events]) for s, events in events_by_commit(town)
               if s.startswith("sling ")]
    assert [s for s, _ in commits] == [f"sling {root} to proj/polecats/nux"]
    assert commits[0][1].count("create") == 6  # the agent, the root and its 4 steps
    prime = gt(town, "prime", "--agent", "proj/polecats/nux").stdout
    assert "→ current step understand" in prime and "pj-old" in prime
    gt(town, "session", "stop", "proj/polecats/nux")


def test_sling_formula_refusals(town: Path) -> None:
    bead = new_bead(town, "Something")
    for args, message in (
            (["sling", "no-such-formula", "proj", "--on", bead], "no formula or protomolecule"),
            (["sling", "conflict-resolve", "proj"], "missing required variable"),
            (["sling", "review-convoy", "proj/polecats/nux"], "sling it to a rig"),
            (["sling", "polecat-work", "proj", "--on", "pj-zzzz"], "no bead matches"),
            (["sling", "polecat-work", "proj", "--on", bead, "--var", "=x"], "invalid --var")):
        before = run(["git", "rev-parse", "beads"], town / "proj" / ".repo.git").stdout
        result = gt(town, *args, check=False)
        assert result.returncode == 1, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, \
            result.stderr
        assert run(["git", "rev-parse", "beads"], town / "proj" / ".repo.git").stdout == before


def _walked(town: Path, bead: str, steps: list[dict[str, Any]]) -> list[str]:
    """The branch's step commits, oldest first, once the agent called gt done."""
    wait_for(lambda: show(town, bead).get("mr_state") == "pending", timeout=90,
             what=f"{bead}'s merge request")
    log = run(["git", "log", "--reverse", "--format=%s", f"main..refs/mr/{bead}"],
              town / "proj" / ".repo.git").stdout.splitlines()
    assert [s["state"] for s in steps_of(town, bead)] == ["done"] * len(steps)
    return log


def test_scripted_runtime_walks_the_builtin_work_cycle_and_it_merges(town: Path) -> None:
    bead = new_bead(town, "Write the feature", {**SCRIPT, "at_step": "implement"})
    gt(town, "sling", "polecat-work", "proj", "--on", bead, "--no-convoy")
    steps = steps_of(town, bead)
    log = _walked(town, bead, steps)
    assert log == [f"{bead} step {s['id']}: {s['title']}" for s in steps]
    implement = run(["git", "show", "--stat", "--format=%s", f"refs/mr/{bead}~3"],
                    town / "proj" / ".repo.git").stdout
    assert "step implement" in implement and "feature.txt" in implement
    merge_all(town, 1)
    assert show(town, bead)["status"] == "closed"
    assert run(["git", "show", "main:feature.txt"], town / "proj" / ".repo.git").stdout == "done\n"


def test_builtin_conflict_resolution_is_walked_by_the_scripted_runtime(town: Path) -> None:
    original = new_bead(town, "The work that conflicted")
    bead = new_bead(town, f"Resolve the conflict of {original}", SCRIPT)
    gt(town, "sling", "conflict-resolve", "proj", "--on", bead, "--var",
       f"original={original}", "--no-convoy")
    steps = steps_of(town, bead)
    assert [s["id"] for s in steps] == ["understand", "redo", "verify", "submit"]
    assert len(_walked(town, bead, steps)) == 4


@needs_fixtures
def test_shiny_enterprise_resumes_at_the_right_step_after_a_kill(town: Path,
                                                               tmp_path: Path) -> None:
    add_town_formulas(town, "shiny", "shiny-enterprise", "rule-of-five")
    marker = tmp_path / "refine-2-started"
    script = {**SCRIPT, "steps": {"implement.refine-2": {"commands": [
        [sys.executable, "-c", SLEEP_ONCE, str(marker)]]}}}
    bead = new_bead(town, "Build the login page", script)
    gt(town, "sling", "shiny-enterprise", "proj", "--on", bead, "--var", "feature=login",
       "--no-convoy")
    steps = steps_of(town, bead)
    assert [s["id"] for s in steps] == [
        "design", "implement.draft", "implement.refine-1", "implement.refine-2",
        "implement.refine-3", "implement.refine-4", "review", "test", "submit"]
    wait_for(marker.exists, timeout=60, what="the agent to reach implement.refine-2")
    states = [s["state"] for s in steps_of(town, bead)]
    assert states[:3] == ["done"] * 3 and "done" not in states[3:]
    gt(town, "session", "stop", "proj/polecats/nux")
    prime = gt(town, "prime", "--agent", "proj/polecats/nux").stdout
    assert f"## Molecule shiny-enterprise ({bead}): 3/9 steps done" in prime
    assert "→ current step implement.refine-2" in prime
    gt(town, "session", "restart", "proj/polecats/nux")
    log = _walked(town, bead, steps)
    assert log == [f"{bead} step {s['id']}: {s['title']}" for s in steps], \
        "every step committed once: none redone, none skipped"
    session_log = (town / ".git" / "gt" / "logs" / "gt-proj-nux.log").read_text()
    assert "step 4/9: implement.refine-2" in session_log.split("primed")[-1]


@needs_fixtures
def test_security_audit_aspects_are_walked_via_shiny_secure(town: Path) -> None:
    add_town_formulas(town, "shiny", "shiny-secure", "security-audit")
    bead = new_bead(town, "Add the password reset", SCRIPT)
    gt(town, "sling", "shiny-secure", "proj", "--on", bead, "--var", "feature=reset",
       "--no-convoy")
    steps = steps_of(town, bead)
    ids = [s["id"] for s in steps]
    assert any("security" in i for i in ids), ids
    assert len(ids) > 5
    assert len(_walked(town, bead, steps)) == len(steps)


def _run_convoy(town: Path, tmp_path: Path, formula: str, *args: str) -> None:
    log = open(tmp_path / "reactor.log", "ab")  # noqa: SIM115 - the reactor owns it
    reactor = subprocess.Popen([*GT, "reactor", "run"], cwd=town, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: json.loads(gt(town, "reactor", "status", "--json").stdout)["running"])
        slung = json.loads(gt(town, "sling", formula, "proj", *args, "--json").stdout)
        root, legs = slung["molecule"], slung["legs"]
        assert len(legs) >= 3, "the legs are slung together, by the one sling"
        synthesis = next(s for s in steps_of(town, root) if s["id"] == "synthesis")
        # not slung with the legs; when it was hooked is read from the history below (scripted
        # legs can all land before this process reads the molecule)
        assert synthesis["bead"] not in {leg["bead"] for leg in legs}
        wait_for(lambda: show(town, root)["status"] == "closed", timeout=240,
                 what=f"every leg and the synthesis of {root} to land")
        closed_legs: set[str] = set()
        leg_beads = {leg["bead"] for leg in legs}
        hooks = 0
        history = events_by_commit(town)
        _one_leg_at_a_time_per_polecat([subject for subject, _ in history], legs)
        for subject, events in history:
            for event in events:
                if event["op"] == "close" or (event["op"] == "update" and event["data"].get(
                        "set", {}).get("status") == "closed"):
                    closed_legs.add(event["bead"])
                if event["bead"] == synthesis["bead"] and event["op"] == "update" and \
                        event["data"]["set"].get("status") == "hooked":
                    assert leg_beads <= closed_legs, f"synthesis slung before legs: {subject}"
                    hooks += 1
        assert hooks == 1, "the synthesis was hooked once, after every leg closed"
        assert convoys_landed(town) == 1
    finally:
        os.killpg(reactor.pid, signal.SIGKILL)
        reactor.wait()
        gt(town, "down", check=False)


def _one_leg_at_a_time_per_polecat(subjects: list[str], legs: list[dict[str, Any]]) -> None:
    """Each leg has a polecat of its own while it runs: a polecat given a second leg (an idle
    one is preferred to a new one, and on a loaded machine a scripted leg can land before the
    sling has slung them all) got it only after its first was done."""
    def first(prefix: str) -> int:
        return next(n for n, subject in enumerate(subjects) if subject.startswith(prefix))

    by_agent: dict[str, list[str]] = {}
    for leg in legs:
        by_agent.setdefault(leg["agent"], []).append(leg["bead"])
    for agent, beads in by_agent.items():
        for earlier, later in itertools.pairwise(beads):
            assert first(f"done {earlier} ") < first(f"sling {later} to {agent}"), \
                f"{agent} was given {later} while {earlier} was still on its hook"


def convoys_landed(town: Path) -> int:
    rows = json.loads(gt(town, "convoy", "list", "--all", "--json", check=False).stdout or "[]")
    return sum(1 for r in rows if r.get("status") == "closed")


@pytest.mark.slow
def test_builtin_review_convoy_fans_out_and_synthesises(town: Path, tmp_path: Path) -> None:
    _run_convoy(town, tmp_path, "review-convoy", "--var", "subject=the parser")


@pytest.mark.slow
@needs_fixtures
def test_code_review_legs_run_in_parallel_then_the_synthesis(town: Path,
                                                             tmp_path: Path) -> None:
    add_town_formulas(town, "code-review")
    _run_convoy(town, tmp_path, "code-review", "--preset", "gate", "--var", "files=src/*.py")


def test_patrol_is_woken_by_the_reactor_and_rearms(town: Path, tmp_path: Path) -> None:
    idle_runtime(town)
    gt(town, "config", "role-agent", "mayor", "idle")
    patrol = json.loads(gt(town, "mol", "patrol", "attention-patrol", "--agent", "mayor",
                           "--var", "wake_on=mail", "--json").stdout)
    wisp = patrol["molecule"]
    assert patrol["wake_on"] == ["mail"] and "-wisp-" in wisp
    log_path = tmp_path / "reactor.log"
    log = open(log_path, "ab")  # noqa: SIM115 - the reactor owns it
    reactor = subprocess.Popen([*GT, "reactor", "run"], cwd=town, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: json.loads(gt(town, "reactor", "status", "--json").stdout)["running"])
        gt(town, "mail", "send", "proj/polecats/nux", "-s", "hello")
        wait_for(lambda: f"patrol {wisp} of mayor" in log_path.read_text(), timeout=30)
    finally:
        os.killpg(reactor.pid, signal.SIGKILL)
        reactor.wait()
    prime = gt(town, "prime", "--agent", "mayor").stdout
    assert f"gt mol current --molecule {wisp}" in prime
    agent = ["--agent", "mayor", "--molecule", wisp]
    assert "→ current step survey: See what woke you" in gt(town, "mol", "current",
                                                               *agent).stdout
    for _ in range(2):
        gt(town, "mol", "step", "done", *agent)
    last = json.loads(gt(town, "mol", "step", "done", *agent, "--json").stdout)
    assert last["complete"] and last["rearmed"] != wisp
    fresh = json.loads(gt(town, "mol", "current", "--agent", "mayor", "--molecule",
                          last["rearmed"], "--json").stdout)
    assert fresh["done"] == 0 and fresh["current"]["id"] == "survey"
    gt(town, "down", check=False)


DUO = """
formula = "duo"
description = "Two steps written for this test ({{level}})."
version = 2

[vars.level]
default = "LEVEL"

[[steps]]
id = "first"
title = "First at {{level}}"

[[steps]]
id = "second"
title = "Second"
needs = ["first"]
"""


def test_formula_list_show_run_search_the_rig_then_the_town(town: Path) -> None:
    for directory, level in ((town / "formulas", "town"),
                             (town / "proj" / "formulas", "rig")):
        directory.mkdir()
        (directory / "duo.formula.toml").write_text(DUO.replace("LEVEL", level))
    (town / "formulas" / "solo.formula.toml").write_text(
        DUO.replace("LEVEL", "town").replace('"duo"', '"solo"'))
    run(["git", "add", "formulas", "proj/formulas"], town)
    run(["git", "commit", "-q", "-m", "formulas"], town)
    listed = {r["name"]: r["source"] for r in json.loads(gt(town, "formula", "list", "--json")
                                                          .stdout)}
    assert listed["duo"] == "town" and listed["solo"] == "town"
    assert listed["polecat-work"] == listed["review-convoy"] == "builtin"
    in_rig = {r["name"]: r["source"] for r in json.loads(gt(
        town, "formula", "list", "--rig", "proj", "--json").stdout)}
    assert in_rig["duo"] == "rig:proj" and in_rig["solo"] == "town"
    shown = json.loads(gt(town, "formula", "show", "duo", "--rig", "proj", "--json").stdout)
    assert [s["id"] for s in shown["steps"]] == ["first", "second"]
    assert shown["vars"]["level"]["default"] == "rig"
    human = gt(town, "formula", "show", "review-convoy").stdout
    assert "review-convoy (convoy, version 1)" in human and "- synthesis" not in human
    assert "- correctness: Correctness of {{subject}}" in human
    idle_runtime(town)
    ran = json.loads(gt(town, "formula", "run", "duo", "proj/polecats/nux", "--agent", "idle",
                        "--json").stdout)
    assert ran["steps"] == 2 and ran["convoy"]
    prime = gt(town, "prime", "--agent", "proj/polecats/nux").stdout
    assert "→ current step first" in prime and "First at rig" in prime
    missing = gt(town, "formula", "show", "nothing-here", check=False)
    assert missing.returncode == 1 and "formula 'nothing-here' not found" in missing.stderr
    gt(town, "session", "stop", "proj/polecats/nux")


def test_done_refuses_while_steps_are_open_and_force_closes_them_as_skipped(
        town: Path) -> None:
    idle_runtime(town)
    bead = new_bead(town, "Half a job")
    gt(town, "sling", "polecat-work", "proj/polecats/nux", "--on", bead, "--agent", "idle",
       "--no-convoy")
    agent = ["--agent", "proj/polecats/nux"]
    gt(town, "mol", "step", "done", *agent)
    worktree = town / "proj" / "polecats" / "nux"
    (worktree / "half.txt").write_text("half\n")
    run(["git", "add", "half.txt"], worktree)
    run(["git", "commit", "-qm", "half of it"], worktree)
    refused = gt(worktree, "done", check=False)
    assert refused.returncode == 1 and len(refused.stderr.splitlines()) == 1
    assert f"{bead}: 4 of 5 molecule steps are not done (current: implement" in refused.stderr
    assert show(town, bead)["status"] == "hooked"
    finished = json.loads(gt(worktree, "done", "--force", "--json").stdout)
    assert finished["skipped_steps"] == [f"{bead}.{n}" for n in range(2, 6)]
    steps = [show(town, f"{bead}.{n}") for n in range(1, 6)]
    assert all(s["status"] == "closed" for s in steps)
    assert [s["close_reason"] for s in steps[1:]] == ["skipped: gt done --force"] * 4
    assert show(town, bead)["mr_state"] == "pending"
    # one commit: the request, the hook freed and the steps closed
    [(_, events)] = [(s, e) for s, e in events_by_commit(town) if s.startswith(f"done {bead}")]
    assert {e["bead"] for e in events} == {bead, "pj-proj-polecat-nux",
                                           *(f"{bead}.{n}" for n in range(2, 6))}
    gt(town, "session", "stop", "proj/polecats/nux")

"""Supervision on real tmux sessions with the scripted runtime: the Gas Town failures the
Witness must not repeat, each as a scenario."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from beads import Ledger
from gt.agents import Address
from gt.supervision.driver import Supervisor
from gt.supervision.witness import Witness
from gt.town import Town
from gt.work.sling import sling
from tests.gt_helpers import bd, gt, make_project, start_reactor, wait_for

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

NUX = "proj/polecats/nux"


def tmux_town(base: Path, name: str = "town", **limits: float) -> Path:
    root = base / name
    gt(base, "install", str(root))
    gt(root, "rig", "add", "proj", str(make_project(base / f"{name}-proj")), "--prefix", "pj")
    town = Town(root)
    settings = {"spawn_grace": 3.0, "stall_after": 2.0, "every": 0.3, "restart_backoff": 1.0,
                "restart_backoff_max": 4.0, **limits}
    for key, value in settings.items():
        setattr(town.settings.supervision, key, value)
    town.save("supervision thresholds for a test")
    return root


@pytest.fixture
def town(tmp_path: Path) -> Iterator[Path]:
    root = tmux_town(tmp_path)
    yield root
    subprocess.run(["tmux", "-L", Town(root).socket, "kill-server"], capture_output=True)


def work(town: Path, title: str, **faults: Any) -> str:
    script = {"edits": [{"op": "write", "path": f"{title}.txt", "content": title + "\n"}]}
    if faults:
        script["faults"] = faults
    meta = json.dumps({"script": script})
    return json.loads(bd(town / "proj", "create", title, "--metadata", meta,
                         "--json").stdout)["id"]


def agent(town: Path, address: str = NUX) -> dict[str, Any]:
    return Ledger(town / "proj" / ".repo.git").get(Address.parse(address).bead_id("pj"))


def actions(town: Path, address: str = NUX) -> list[dict[str, Any]]:
    """The supervisor's actions on the agent, from its bead's comments (the ledger events)."""
    out = []
    for comment in agent(town, address).get("comments", []):
        text = comment["text"]
        if text.startswith("supervisor "):
            out.append(json.loads(text.split(": ", 1)[1]))
    return out


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


def live(town: Path, session: str) -> bool:
    return subprocess.run(["tmux", "-L", Town(town).socket, "has-session", "-t", f"={session}"],
                          capture_output=True).returncode == 0


def test_a_dead_polecat_is_restarted_in_place_with_its_hook_and_a_note(town: Path,
                                                                          tmp_path: Path) -> None:
    """#3584/#1380: a polecat dying with work hooked is seen at once (tmux's hook pokes the
    reactor), restarted in the same worktree with the same hook, and finishes the bead."""
    bead = work(town, "first", crash=3, after_edits=True, times=1)
    reactor = start_reactor(town, tmp_path / "reactor.log")
    try:
        gt(town, "sling", bead, "proj", "--no-convoy")
        wait_for(lambda: Ledger(town / "proj" / ".repo.git").get(bead).get("mr_state")
                 == "pending", timeout=60, what="the successor to finish the bead")
    finally:
        stop(reactor)
    restarts = [a for a in actions(town) if a["action"] == "restart"]
    assert len(restarts) == 1, actions(town)
    evidence = restarts[0]["evidence"]
    assert restarts[0]["state"] == "dead"
    assert evidence["session_live"] is False and evidence["process_alive"] is False
    assert evidence["hook"] == bead
    assert "restarted your session" in agent(town)["handoff_note"]
    log = subprocess.run(["git", "log", "--format=%B", "beads"],
                         cwd=town / "proj" / ".repo.git", capture_output=True, text=True).stdout
    assert f"proj/witness: restart {NUX} (dead)" in log
    assert "the session and its process are gone" in log  # the evidence, in the commit


def test_a_freshly_slung_polecat_is_spawning_not_dead(town: Path) -> None:
    """#2036: between the sling and its session starting, a polecat is never judged."""
    bead = work(town, "fresh")
    ledger = Ledger(town / "proj" / ".repo.git", "gt")
    t = Town(town)
    sling(t, bead, "proj", convoy=False, start=False)
    assert Witness(t, log=lambda _line: None).run_pass() == []
    assert [s["state"] for s in json.loads(gt(town, "polecat", "list", "--json").stdout)] \
        == ["spawning"]
    assert actions(town) == []
    time.sleep(3.2)  # the spawn grace passes with no session: now it is dead
    lines = Witness(t, log=lambda _line: None).run_pass()
    assert lines == [f"{NUX}: restarted (the session and its process are gone)"]
    wait_for(lambda: ledger.get(bead).get("mr_state") == "pending", timeout=30)


def test_a_stale_death_event_never_touches_the_new_session(town: Path) -> None:
    """#909/#1071: a session-closed line about a previous session of the same name is only a
    reason to look; the new session, alive and working, is left alone."""
    bead = work(town, "slow", hang=30)
    t = Town(town)
    gt(town, "sling", bead, "proj", "--no-convoy")
    session = Address.parse(NUX).session
    wait_for(lambda: live(town, session))
    supervisor = Supervisor(t, log=lambda _line: None)
    before = t.backend().panes()[session].incarnation  # type: ignore[attr-defined]
    with open(t.session_poke, "a") as poke:
        poke.write(f"session-closed {session}\n")
    assert supervisor.ended_sessions() == [session]
    supervisor.witness.run_pass(only={session})
    assert actions(town) == []
    assert t.backend().panes()[session].incarnation == before  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_crash_loop_is_parked_and_escalated_never_nuked(town: Path) -> None:
    """#1379/#659: restarts keep the worktree (and its uncommitted work); a crash loop parks
    the polecat and escalates to the Mayor instead of restarting forever."""
    gt(town, "config", "set", "supervision.crash_loop_restarts", "2")
    gt(town, "config", "set", "supervision.restart_backoff", "0.5")
    bead = work(town, "doomed", crash=7, after_edits=True)
    t = Town(town)
    gt(town, "sling", bead, "proj", "--no-convoy")
    worktree = town / "proj" / "polecats" / "nux"
    witness = Witness(t, log=lambda _line: None)

    def parked() -> bool:
        witness.run_pass()
        return any(a["action"] == "park" for a in actions(town))

    wait_for(parked, timeout=40, what="the crash loop to be parked")
    assert [a["action"] for a in actions(town)] == ["restart", "restart", "park"]
    assert (worktree / "doomed.txt").read_text() == "doomed\n"  # never removed
    assert Ledger(town / "proj" / ".repo.git").get(bead)["status"] == "hooked"
    escalations = json.loads(gt(town, "escalate", "list", "--json").stdout)
    assert [e["severity"] for e in escalations] == ["high"]
    assert "crash-looping" in escalations[0]["title"]
    inbox = json.loads(gt(town, "mail", "inbox", "--json", env={"GT_AGENT": "mayor"}).stdout)
    assert any("crash-looping" in m["title"] for m in inbox), inbox


def test_a_polecat_stuck_at_a_prompt_is_nudged_and_goes_on(town: Path) -> None:
    """#1378: silent at a permission prompt with work hooked: stalled, nudged (the nudge is
    the answer it waited for), then it finishes."""
    bead = work(town, "asks", prompt="Allow this edit? [y/n]")
    t = Town(town)
    gt(town, "sling", bead, "proj", "--no-convoy")
    witness = Witness(t, log=lambda _line: None)
    ledger = Ledger(town / "proj" / ".repo.git")

    def finished() -> bool:
        witness.run_pass()
        return ledger.get(bead).get("mr_state") == "pending"

    wait_for(finished, timeout=40, what="the nudged polecat to finish")
    nudges = [a for a in actions(town) if a["action"] == "nudge"]
    assert nudges and nudges[0]["state"] == "stalled"
    assert nudges[0]["evidence"]["output_age"] >= 2
    assert not [a for a in actions(town) if a["action"] == "restart"]


@pytest.mark.slow
def test_a_polecat_ignoring_nudges_is_restarted_then_escalated(town: Path) -> None:
    bead = work(town, "deaf", prompt="Continue? [y/n]", ignore_nudges=True)
    t = Town(town)
    gt(town, "sling", bead, "proj", "--no-convoy")
    witness = Witness(t, log=lambda _line: None)

    def escalated() -> bool:
        witness.run_pass()
        return any(a["action"] == "escalate" for a in actions(town))

    wait_for(escalated, timeout=60, what="the escalation")
    # each session is nudged once; the second silence restarts, the third escalates
    assert [a["action"] for a in actions(town)] == ["nudge", "restart", "nudge", "escalate"]
    assert agent(town)["hook_bead"] == bead


def test_nuke_refuses_unsaved_work_and_with_force_saves_it_first(town: Path) -> None:
    """#1379: the work is saved to a recovery ref before the worktree goes, and the bead is
    given back (never left in progress on a polecat that no longer exists: #1380)."""
    bead = work(town, "precious", hang=600, after_edits=True)
    gt(town, "sling", bead, "proj", "--no-convoy")
    worktree = town / "proj" / "polecats" / "nux"
    wait_for(lambda: (worktree / "precious.txt").exists())
    refused = gt(town, "polecat", "nuke", NUX, check=False)
    assert refused.returncode == 1 and "unsaved work" in refused.stderr
    assert worktree.exists() and live(town, "gt-proj-nux")
    result = json.loads(gt(town, "polecat", "nuke", NUX, "--force", "--json").stdout)
    ref = result["recovery_ref"]
    assert ref.startswith(f"refs/gt/recovery/{NUX}/")
    saved = subprocess.run(["git", "show", f"{ref}:precious.txt"], cwd=town / "proj" / ".repo.git",
                           capture_output=True, text=True)
    assert saved.stdout == "precious\n"
    assert not worktree.exists() and not live(town, "gt-proj-nux")
    assert Ledger(town / "proj" / ".repo.git").get(bead)["status"] == "open"


@pytest.mark.slow
def test_gc_never_touches_another_towns_sessions(tmp_path: Path) -> None:
    """#3192: each town has its own tmux server; gc stops only sessions this town recorded."""
    mine, theirs = tmux_town(tmp_path, "mine"), tmux_town(tmp_path, "theirs")
    try:
        bead = work(theirs, "theirs", hang=600)
        gt(theirs, "sling", bead, "proj", "--no-convoy")
        wait_for(lambda: live(theirs, "gt-proj-nux"))
        # a session on my server that this town never started (no record): reported, left
        subprocess.run(["tmux", "-L", Town(mine).socket, "new-session", "-d", "-s",
                        "gt-stranger", "sleep", "600"], check=True)
        found = json.loads(gt(mine, "polecat", "gc", "--json").stdout)
        assert {"kind": "session without agent", "name": "gt-stranger",
                "action": "left: no record of this town for it"} in found
        assert live(mine, "gt-stranger")
        assert live(theirs, "gt-proj-nux")
    finally:
        for root in (mine, theirs):
            subprocess.run(["tmux", "-L", Town(root).socket, "kill-server"],
                           capture_output=True)


@pytest.fixture
def patient_town(tmp_path: Path) -> Iterator[Path]:
    """A town whose agents count as stalled only after a minute of silence, so that a status
    read a few slow commands after the agent's last output still finds it working."""
    root = tmux_town(tmp_path, stall_after=60.0)
    yield root
    subprocess.run(["tmux", "-L", Town(root).socket, "kill-server"], capture_output=True)


def test_agents_and_polecat_status_show_state_and_evidence(patient_town: Path) -> None:
    town = patient_town
    bead = work(town, "busy", hang=600)
    gt(town, "sling", bead, "proj", "--no-convoy")
    wait_for(lambda: json.loads(gt(town, "polecat", "status", NUX, "--json").stdout)["state"]
             == "working")
    status = json.loads(gt(town, "polecat", "status", NUX, "--json").stdout)
    assert status["evidence"]["session_live"] is True and status["hook"] == bead
    listed = json.loads(gt(town, "agents", "--json").stdout)
    assert [a["liveness"] for a in listed if a["agent"] == NUX] == ["working"]
    human = gt(town, "polecat", "status", NUX).stdout
    assert "working" in human and "session_live: True" in human

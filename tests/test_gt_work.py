"""The work loop piece by piece: sling, hook, done, the Refinery, mail, nudges, convoys, prime."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.gt_helpers import bd, gt, make_town, run, wait_for

SCRIPT = {"edits": [{"op": "write", "path": "feature.txt", "content": "done\n"}]}


@pytest.fixture
def town(tmp_path: Path) -> Path:
    return make_town(tmp_path)


def new_bead(town: Path, title: str = "Write the feature", script: dict | None = None) -> str:
    meta = json.dumps({"script": script or SCRIPT})
    return json.loads(bd(town / "proj", "create", title, "--metadata", meta,
                         "--json").stdout)["id"]


def show(town: Path, bead: str) -> dict:
    return json.loads(bd(town, "show", bead, "--json").stdout)


def test_sling_hooks_in_one_commit_and_the_loop_merges(town: Path) -> None:
    bead = new_bead(town)
    before = run(["git", "rev-list", "--count", "beads"], town / "proj" / ".repo.git").stdout
    slung = json.loads(gt(town, "sling", bead, "proj", "--no-convoy", "--json").stdout)
    assert slung["agent"] == "proj/polecats/nux" and slung["wake"] == "started"
    assert slung["branch"] == f"polecat/nux/{bead}"
    repo = town / "proj" / ".repo.git"
    after = run(["git", "rev-list", "--count", "beads"], repo).stdout
    log = run(["git", "log", "--format=%s", "-n", str(int(after) - int(before)), "beads"],
              repo).stdout.splitlines()
    assert f"sling {bead} to proj/polecats/nux" in log
    sling_commit = run(["git", "log", "--format=%B", "-n", "1", "--grep", f"^sling {bead}",
                        "beads"], repo).stdout
    # the new polecat's agent bead is made in the same commit: create, hook the bead, hook it
    assert sling_commit.count("Bead-Event:") == 3
    assert "create proj/polecats/nux" not in log
    wait_for(lambda: show(town, bead).get("mr_state") == "pending")
    assert run(["git", "rev-parse", f"refs/mr/{bead}"], repo).stdout.strip()
    merged = json.loads(gt(town, "refinery", "run", "proj", "--once", "--json").stdout)
    assert [m["action"] for m in merged] == ["merged"]
    final = show(town, bead)
    assert final["status"] == "closed" and final["mr_state"] == "merged"
    assert run(["git", "show", "main:feature.txt"], repo).stdout == "done\n"
    assert run(["git", "for-each-ref", "refs/mr/"], repo).stdout == ""
    agents = {a["agent"]: a for a in json.loads(gt(town, "agents", "--json").stdout)}
    assert agents["proj/polecats/nux"]["state"] == "idle"
    assert not (town / "proj" / "polecats" / "nux").exists()


def test_sling_refusals(town: Path) -> None:
    bead = new_bead(town)
    for args, message in (
            (["sling", bead, "nowhere"], "not an agent address"),
            (["sling", bead, "nowhere/polecats/x"], "no rig named 'nowhere'"),
            (["sling", "pj-zzzz", "proj"], "no bead matches"),
            (["sling", bead, "proj/polecats/$(id)"], "not an agent address")):
        result = gt(town, *args, check=False)
        assert result.returncode == 1, args
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    closed = new_bead(town, "Already done")
    bd(town / "proj", "close", closed)
    result = gt(town, "sling", closed, "proj", check=False)
    assert result.returncode == 1 and "is closed" in result.stderr
    gt(town, "sling", bead, "proj/polecats/ace", "--no-convoy")
    result = gt(town, "sling", bead, "proj/polecats/toast", check=False)
    assert result.returncode == 1 and "already on proj/polecats/ace's hook" in result.stderr


def test_done_refusals(town: Path, tmp_path: Path) -> None:
    result = gt(town, "done", check=False)
    assert result.returncode == 1 and "cannot tell which agent" in result.stderr
    gt(town, "config", "set", "town.default_agent", "idle")
    gt(town, "config", "agent", "set", "idle", f"{sys.executable} -c pass", "--prompt", "none")
    bead = new_bead(town)
    gt(town, "sling", bead, "proj", "--no-convoy")
    worktree = town / "proj" / "polecats" / "nux"
    result = gt(worktree, "done", check=False)
    assert result.returncode == 1 and "no new commit" in result.stderr
    (worktree / "x.txt").write_text("x")
    run(["git", "add", "x.txt"], worktree)
    run(["git", "commit", "-qm", "work"], worktree)
    first = json.loads(gt(worktree, "done", "--json").stdout)
    assert first["request"] == "created" and first["bead"] == bead
    again = gt(worktree, "done", check=False)
    assert again.returncode == 1 and "nothing on proj/polecats/nux's hook" in again.stderr


def test_gate_failure_is_rejected_with_the_reason(town: Path) -> None:
    gt(town, "rig", "config", "proj", "gates.test", "grep -q good feature.txt")
    bead = new_bead(town, script={"edits": [{"op": "write", "path": "feature.txt",
                                             "content": "bad\n"}]})
    gt(town, "sling", bead, "proj", "--no-convoy")
    wait_for(lambda: show(town, bead).get("mr_state") == "pending")
    outcome = json.loads(gt(town, "refinery", "run", "proj", "--once", "--json").stdout)
    assert outcome[0]["action"] == "rejected" and "gate 'test' failed" in outcome[0]["reason"]
    rejected = show(town, bead)
    assert rejected["status"] == "open" and rejected["rejections"] == 1
    assert "gate 'test' failed" in rejected["comments"][-1]["text"]
    assert "Rejected" in gt(town, "mail", "inbox", "mayor").stdout


def test_hanging_gate_times_out(town: Path) -> None:
    gt(town, "rig", "config", "proj", "gates.test", "sleep 30")
    gt(town, "rig", "config", "proj", "gate_timeouts.test", "1")
    bead = new_bead(town)
    gt(town, "sling", bead, "proj", "--no-convoy")
    wait_for(lambda: show(town, bead).get("mr_state") == "pending")
    started = time.monotonic()
    outcome = json.loads(gt(town, "refinery", "run", "proj", "--once", "--json").stdout)
    assert time.monotonic() - started < 20
    assert outcome[0]["action"] == "rejected" and "timed out" in outcome[0]["reason"]


def test_mail_round_trip_and_inject(town: Path) -> None:
    hostile = "deploy; rm -rf ~ $(id) `id`\x1b[2J"
    sent = json.loads(gt(town, "mail", "send", "proj/polecats/nux", "-s", hostile, "-m", "body",
                         "--json").stdout)
    inbox = json.loads(gt(town, "mail", "inbox", "proj/polecats/nux", "--json").stdout)
    assert [m["title"] for m in inbox] == [hostile]
    checked = gt(town, "mail", "check", "--inject", env={"GT_AGENT": "proj/polecats/nux"})
    assert sent["id"] in checked.stdout and "\x1b" not in checked.stdout
    gt(town, "mail", "read", sent["id"], env={"GT_AGENT": "proj/polecats/nux"})
    again = gt(town, "mail", "check", "--inject", env={"GT_AGENT": "proj/polecats/nux"})
    assert again.stdout == ""
    gt(town, "mail", "archive", sent["id"], env={"GT_AGENT": "proj/polecats/nux"})
    assert json.loads(gt(town, "mail", "inbox", "proj/polecats/nux", "--json").stdout) == []
    bad = gt(town, "mail", "send", "../etc", "-s", "x", check=False)
    assert bad.returncode == 1 and "not an agent address" in bad.stderr


def test_nudge_is_queued_for_a_stopped_agent_and_prime_delivers_it(town: Path) -> None:
    result = json.loads(gt(town, "nudge", "mayor", "look at hq-1", "--json").stdout)
    assert result["result"] == "queued"
    primed = json.loads(gt(town, "prime", "--agent", "mayor", "--json").stdout)
    assert primed["nudges"] == [{"from": "overseer", "text": "look at hq-1"}]
    assert json.loads(gt(town, "prime", "--agent", "mayor", "--json").stdout)["nudges"] == []


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_nudge_types_hostile_text_literally_into_a_live_session(tmp_path: Path) -> None:
    root = tmp_path / "town"
    gt(tmp_path, "install", str(root))
    heard = tmp_path / "heard.txt"
    canary = tmp_path / "canary"
    listener = (f"import sys\nwith open({str(heard)!r}, 'a') as out:\n"
                "    for line in sys.stdin:\n        out.write(line); out.flush()\n")
    (tmp_path / "listener.py").write_text(listener)
    gt(root, "config", "agent", "set", "listener",
       f"{sys.executable} {tmp_path / 'listener.py'}", "--prompt", "none")
    socket = json.loads(run([sys.executable, "-c", "import json,sys; from gt.town import Town; "
                             "print(json.dumps(Town.find().socket))"], root).stdout)
    try:
        gt(root, "mayor", "start", "--agent", "listener")
        text = f"; touch {canary} $(touch {canary}) `touch {canary}` C-c\x1b[31m"
        result = json.loads(gt(root, "nudge", "mayor", text, "--json").stdout)
        assert result["result"] == "delivered"
        wait_for(lambda: heard.exists() and "C-c" in heard.read_text())
        assert f"; touch {canary} $(touch {canary}) `touch {canary}` C-c" in heard.read_text()
        assert not canary.exists()
        assert "\x1b" not in heard.read_text()
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


def test_convoy_lands_when_its_beads_close(town: Path) -> None:
    one, two = new_bead(town, "one"), new_bead(town, "two")
    convoy = json.loads(gt(town, "convoy", "create", "Batch", one, two, "--json").stdout)
    state = json.loads(gt(town, "convoy", "status", convoy["id"], "--json").stdout)
    assert state["total"] == 2 and state["closed"] == 0
    bd(town / "proj", "close", one, two)
    from gt.town import Town
    from gt.work.convoy import land_ready

    assert land_ready(Town(town), one) == [convoy["id"]]
    landed = json.loads(gt(town, "convoy", "status", convoy["id"], "--json").stdout)
    assert landed["status"] == "closed"
    assert "Convoy landed: Batch" in gt(town, "mail", "inbox", "overseer").stdout


def test_prime_for_a_polecat_is_short_and_shows_the_handoff_note(town: Path) -> None:
    gt(town, "config", "set", "town.default_agent", "idle")
    gt(town, "config", "agent", "set", "idle", f"{sys.executable} -c pass", "--prompt", "none")
    bead = json.loads(bd(town / "proj", "create", "Big task", "-d", "x" * 20000,
                         "--json").stdout)["id"]
    gt(town, "sling", bead, "proj", "--no-convoy")
    worktree = town / "proj" / "polecats" / "nux"
    primed = gt(worktree, "prime").stdout
    assert bead in primed and "gt done" in primed
    assert len(primed) < 8000
    gt(worktree, "handoff", "-m", "halfway: tests written")
    assert "halfway: tests written" in gt(worktree, "prime").stdout
    hooked = json.loads(gt(worktree, "hook", "--json").stdout)
    assert hooked["bead"]["id"] == bead

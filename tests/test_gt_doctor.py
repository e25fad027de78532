"""`gt doctor`: each check meets the thing broken for real, and `--fix` repairs what is safe."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gt.sessions import SessionSpec
from gt.town import Town
from tests.gt_helpers import bd, gt, make_town, run, wait_for


@pytest.fixture
def town(tmp_path: Path) -> Path:
    return make_town(tmp_path)


def doctor(town: Path, *args: str) -> tuple[int, dict]:
    result = gt(town, "doctor", "--json", *args, check=False)
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    if result.returncode:  # the report on stdout, one line on stderr saying what is left
        left = sum(1 for f in report["findings"] if not f["ok"] and not f.get("fixed"))
        assert result.stderr == f"gt: doctor: {left} problem(s) left\n", result.stderr
    return result.returncode, report


def problems(report: dict, check: str) -> list[dict]:
    return [f for f in report["findings"] if f["check"] == check and not f["ok"]]


def test_a_fresh_town_has_only_the_stopped_reactor(town: Path) -> None:
    code, report = doctor(town)
    assert code == 1
    assert [(f["check"], f["subject"]) for f in report["findings"] if not f["ok"]] == \
        [("reactor", "reactor")]


def test_missing_hook_shims_are_found_and_reinstalled(town: Path) -> None:
    hooks = Path(run(["git", "rev-parse", "--path-format=absolute", "--git-path", "hooks"],
                     town / "proj" / ".repo.git").stdout.strip())
    (hooks / "reference-transaction").unlink()
    _, report = doctor(town)
    [found] = problems(report, "git hooks")
    assert found["subject"] == "proj" and "reference-transaction absent" in found["message"]
    _, fixed = doctor(town, "--fix")
    assert problems(fixed, "git hooks")[0]["fixed"]
    assert (hooks / "reference-transaction").is_file()
    assert not problems(doctor(town)[1], "git hooks")


def test_missing_fetch_refspecs_are_found_and_added(town: Path) -> None:
    repo = town / "proj" / ".repo.git"
    run(["git", "config", "--unset-all", "remote.origin.fetch", r"\+refs/mr/.*"], repo)
    [found] = problems(doctor(town)[1], "fetch refspecs")
    assert "+refs/mr/*:refs/remotes/origin/mr/*" in found["message"]
    doctor(town, "--fix")
    present = run(["git", "config", "--get-all", "remote.origin.fetch"], repo).stdout
    assert "+refs/mr/*:refs/remotes/origin/mr/*" in present
    assert not problems(doctor(town)[1], "fetch refspecs")


def test_a_stopped_reactor_is_started_and_a_lost_cursor_restarted(town: Path) -> None:
    (town / ".git" / "gt" / "reactor" / "cursor.json").unlink()
    _, report = doctor(town)
    assert {f["subject"] for f in problems(report, "reactor cursors")} == \
        {"cursor town", "cursor proj"}
    try:
        _, fixed = doctor(town, "--fix")
        assert all(f["fixed"] for f in problems(fixed, "reactor") +
                   problems(fixed, "reactor cursors"))
        wait_for(lambda: json.loads(gt(town, "reactor", "status", "--json").stdout)["running"],
                 what="the reactor started by doctor --fix")
        code, after = doctor(town)
        assert code == 0, [f for f in after["findings"] if not f["ok"]]
    finally:
        gt(town, "reactor", "stop", check=False)


def test_a_read_cache_out_of_step_is_rebuilt(town: Path) -> None:
    bd(town / "proj", "create", "one")
    cache = town / "proj" / ".repo.git" / "beads" / "cache.sqlite"
    with sqlite3.connect(cache) as db:  # a row the tip does not hold
        db.execute("INSERT INTO beads (id, layer, status) VALUES ('pj-ghost', 0, 'open')")
    [found] = problems(doctor(town)[1], "read caches")
    assert "+pj-ghost" in found["message"]
    doctor(town, "--fix")
    assert not problems(doctor(town)[1], "read caches")
    assert "pj-ghost" not in bd(town / "proj", "list", "--json").stdout


def test_a_pruned_wisp_blob_is_reported(town: Path) -> None:
    rig = town / "proj"
    wisp = json.loads(bd(rig, "create", "short lived", "--ephemeral", "--json").stdout)["id"]
    repo = rig / ".repo.git"
    env = {"GIT_INDEX_FILE": str(repo / "beads" / "wisps.index")}
    staged = run(["git", "ls-files", "--stage"], repo, env=env).stdout.split()
    blob = staged[1]
    run(["git", "update-ref", "-d", "refs/beads/wisps"], repo)
    (repo / "objects" / blob[:2] / blob[2:]).unlink()
    (repo / "beads" / "cache.sqlite").unlink()
    [found] = problems(doctor(town)[1], "wisp overlay")
    assert blob in found["message"] and wisp[-4:] in found["message"]
    assert found["fix"] and not found["fixable"]


def test_worktrees_and_sessions_without_agents(town: Path) -> None:
    repo = town / "proj" / ".repo.git"
    stray = town / "proj" / "polecats" / "ghost"
    run(["git", "worktree", "add", "-q", "-b", "polecat/ghost/x", str(stray), "main"], repo)
    backend = Town(town).backend()
    backend.start(SessionSpec("gt-proj-stranger", [sys.executable, "-c",
                                                   "import time; time.sleep(60)"],
                              town, {}))
    try:
        _, report = doctor(town)
        subjects = {f["subject"] for f in problems(report, "worktrees")}
        assert str(stray) in subjects
        assert {f["subject"] for f in problems(report, "sessions")} == {"gt-proj-stranger"}
        doctor(town, "--fix")
        assert not stray.exists()
        assert not backend.is_live("gt-proj-stranger")
    finally:
        backend.stop("gt-proj-stranger")


def test_an_agent_marked_working_without_a_session(town: Path) -> None:
    ledger = Town(town).open_ledger(town / "proj" / ".repo.git")
    witness = ledger.get("pj-proj-witness")
    ledger.update_many("by hand", {witness["id"]: {"agent_state": "working"}})
    [found] = problems(doctor(town)[1], "sessions")
    assert found["subject"] == "proj/witness" and "no session" in found["message"]
    assert "gt session restart proj/witness" in found["fix"]


def test_a_stale_git_lock_is_removed(town: Path) -> None:
    lock = town / "proj" / ".repo.git" / "refs" / "heads" / "beads.lock"
    lock.write_text("0" * 40 + "\n")
    old = time.time() - 3600
    os.utime(lock, (old, old))
    fresh = town / ".git" / "index.lock"
    fresh.write_text("")
    [found] = problems(doctor(town)[1], "stale locks")
    assert found["subject"] == "proj" and "refs/heads/beads.lock" in found["message"]
    doctor(town, "--fix")
    assert not lock.exists() and fresh.exists(), "only the stale lock goes"
    fresh.unlink()


def test_an_old_git_lock_a_process_holds_open_is_reported_and_kept(town: Path) -> None:
    lock = town / "proj" / ".repo.git" / "refs" / "heads" / "main.lock"
    lock.write_text("0" * 40 + "\n")
    old = time.time() - 3600
    os.utime(lock, (old, old))
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                               "f = open(sys.argv[1])\nprint('open', flush=True)\n"
                               "time.sleep(60)", str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        [found] = problems(doctor(town)[1], "stale locks")
        assert f"held open by pid {holder.pid}" in found["message"]
        doctor(town, "--fix")
        assert lock.exists(), "a lock a live process holds is never removed"
    finally:
        holder.kill()
        holder.wait()
    lock.unlink()


def test_verify_runs_on_request(town: Path) -> None:
    bd(town / "proj", "create", "verified")
    _, plain = doctor(town)
    assert not [f for f in plain["findings"] if f["check"] == "bd verify"]
    _, verified = doctor(town, "--verify")
    assert {f["subject"] for f in verified["findings"]
            if f["check"] == "bd verify" and f["ok"]} == {"town", "proj"}


def test_broken_settings_are_one_finding_not_a_traceback(town: Path) -> None:
    (town / "town.toml").write_text("[town]\nname = 'x'\nsessions = 'carrier-pigeon'\n")
    code, report = doctor(town)
    assert code == 1
    [found] = report["findings"]
    assert found["check"] == "town settings" and "sessions" in found["message"]
    human = gt(town, "doctor", check=False)
    assert human.returncode == 1 and "Traceback" not in human.stderr
    assert "town settings" in human.stdout

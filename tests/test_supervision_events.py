"""Supervision driven by events on the process backend, and the Witness's automatic gc:
a process session's death reaches the Witness at once (its exit wrapper pokes the reactor),
and processes a dead session left behind are stopped, only this town's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from beads import Ledger
from gt.agents import Address
from gt.sessions.base import record_path
from gt.town import Town
from tests.gt_helpers import GT, bd, gt, make_project, start_reactor, wait_for

NUX = Address.parse("proj/polecats/nux")


def process_town(base: Path, name: str = "town", **limits: float) -> Path:
    root = base / name
    gt(base, "install", str(root))
    gt(root, "rig", "add", "proj", str(make_project(base / f"{name}-proj")), "--prefix", "pj")
    town = Town(root)
    town.settings.sessions = "process"
    settings = {"spawn_grace": 3.0, "stall_after": 60.0, "every": 60.0, "restart_backoff": 1.0,
                **limits}
    for key, value in settings.items():
        setattr(town.settings.supervision, key, value)
    town.save("process sessions and supervision thresholds for a test")
    return root


@pytest.fixture
def town(tmp_path: Path) -> Iterator[Path]:
    root = process_town(tmp_path)
    yield root
    subprocess.run([*GT, "down"], cwd=root, capture_output=True)
    backend = Town(root).backend()
    for name in backend.names():
        backend.stop(name)


def work(town: Path, title: str, **faults: Any) -> str:
    script: dict[str, Any] = {"edits": [{"op": "write", "path": f"{title}.txt",
                                         "content": title + "\n"}]}
    if faults:
        script["faults"] = faults
    meta = json.dumps({"script": script})
    return json.loads(bd(town / "proj", "create", title, "--metadata", meta,
                         "--json").stdout)["id"]


def rig_ledger(town: Path) -> Ledger:
    return Ledger(town / "proj" / ".repo.git")


def actions(town: Path) -> list[dict[str, Any]]:
    out = []
    for comment in rig_ledger(town).get(NUX.bead_id("pj")).get("comments", []):
        if comment["text"].startswith("supervisor "):
            out.append(json.loads(comment["text"].split(": ", 1)[1]))
    return out


def session_record(town: Path, session: str) -> dict[str, Any]:
    path = record_path(Town(town).backend().state_dir, session)  # type: ignore[attr-defined]
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


def test_a_killed_process_session_is_restarted_at_once_not_at_the_timer(
        town: Path, tmp_path: Path) -> None:
    """The timer pass is 60 s away: only the exit wrapper's poke can make the restart fast."""
    bead = work(town, "first", hang=600, times=1)
    reactor = start_reactor(town, tmp_path / "reactor.log")
    try:
        gt(town, "sling", bead, "proj", "--no-convoy")
        counter = town / ".git" / "gt" / "scripted" / f"proj-polecats-nux.{bead}.count"
        wait_for(counter.exists, what="the first session to hang on its bead")
        first = session_record(town, NUX.session)
        runtime = children(first["pid"])[0]
        killed_at = time.monotonic()
        os.kill(runtime, signal.SIGKILL)
        wait_for(lambda: session_record(town, NUX.session).get("pid") not in (None, first["pid"]),
                 timeout=20, what="a successor session")
        assert time.monotonic() - killed_at < 10.0
        wait_for(lambda: (town / "proj" / "polecats" / "nux" / "first.txt").exists(),
                 what="the successor to work the same bead in the same worktree")
    finally:
        stop(reactor)
    restarts = [a for a in actions(town) if a["action"] == "restart"]
    assert len(restarts) == 1, actions(town)
    assert restarts[0]["state"] == "dead"
    assert restarts[0]["evidence"]["process_alive"] is False
    assert restarts[0]["evidence"]["hook"] == bead
    assert "process-exited gt-proj-nux" in Town(town).session_poke.read_text()


def test_gc_stops_what_a_dead_session_left_behind_and_only_that(town: Path,
                                                              tmp_path: Path) -> None:
    """A child of a polecat's session that outlived it is stopped; a process of another town
    with the same agent name, and the live successor, are left alone."""
    bead = work(town, "left", hang=600)
    gt(town, "sling", bead, "proj", "--no-convoy")
    wait_for(lambda: children(session_record(town, NUX.session).get("pid", 0)))
    env = {**os.environ, "GT_TOWN": str(town), "GT_AGENT": str(NUX)}
    # a child that ignores SIGTERM, started inside the session's process session
    stray = subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 600"], env=env)
    foreign = subprocess.Popen(["sleep", "600"], env={**env, "GT_TOWN": str(tmp_path / "x")},
                               start_new_session=True)
    try:
        found = json.loads(gt(town, "polecat", "gc", "--dry-run", "--json").stdout)
        assert any(f["kind"] == "process left behind" and f"pid {stray.pid}" in f["name"]
                   for f in found), found
        assert not any(f"pid {foreign.pid}" in f["name"] for f in found)
        session_pid = session_record(town, NUX.session)["pid"]
        assert not any(f"pid {session_pid}" in f["name"] for f in found)
        gt(town, "polecat", "gc", "--json")
        assert stray.wait(timeout=10) is not None
        assert foreign.poll() is None
        assert running(session_pid)
    finally:
        for process in (stray, foreign):
            if process.poll() is None:
                process.kill()
                process.wait()

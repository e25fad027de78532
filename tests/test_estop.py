"""The emergency stop, for real: agents that count in tmux sessions and in plain processes are
frozen (their processes in state T, their counters still) and thawed (counting again); the
stop is a ledger event that a second clone of the town obeys after `gt sync`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gt.town import Town
from tests.conftest import git
from tests.gt_helpers import GT, bd, gt, make_project, town_with_remote, wait_for

COUNTER = """import os, pathlib, sys, time
path, n = pathlib.Path(sys.argv[1]), 0
spare = path.with_suffix(".next")
while True:
    n += 1
    spare.write_text(str(n))
    os.replace(spare, path)  # a reader never sees the file half-written
    time.sleep(0.02)
"""
JOE = "proj/crew/joe"


def count(path: Path) -> int:
    try:
        return int(path.read_text() or 0)
    except (OSError, ValueError):
        return 0


def counting(path: Path) -> bool:
    """Whether the counter moves within a second: a live counter beats every 20 ms, so even
    on a loaded machine it moves; a frozen one stays put however long it is watched."""
    before = count(path)
    for _ in range(10):
        time.sleep(0.1)  # time passing is what is tested
        if count(path) > before:
            return True
    return False


def with_counter(town: Path, tmp: Path, env: dict[str, str] | None = None) -> Path:
    """The counting runtime configured in `town`; returns the file it counts in."""
    (tmp / "counter.py").write_text(COUNTER)
    counter = tmp / "count.txt"
    gt(town, "config", "agent", "set", "counter",
       f"{sys.executable} {tmp / 'counter.py'} {counter}", "--prompt", "none", env=env)
    return counter


def states(town: Path, agent: str, env: dict[str, str] | None = None) -> set[str]:
    status = json.loads(gt(town, "session", "status", agent, "--json", env=env).stdout)
    return set(status["processes"].values())


def proc_states(pids: list[str]) -> set[str]:
    out = set()
    for pid in pids:
        raw = Path(f"/proc/{pid}/stat").read_text()
        out.add(raw.rsplit(")", 1)[1].split()[0])
    return out


@pytest.fixture
def tmux_town(tmp_path: Path) -> Iterator[Path]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    root = tmp_path / "town"
    gt(tmp_path, "install", str(root))
    gt(root, "rig", "add", "proj", str(make_project(tmp_path / "proj")), "--prefix", "pj")
    yield root
    subprocess.run(["tmux", "-L", Town(root).socket, "kill-server"], capture_output=True)


def test_estop_freezes_a_tmux_session_and_thaw_resumes_it(tmux_town: Path,
                                                          tmp_path: Path) -> None:
    counter = with_counter(tmux_town, tmp_path)
    gt(tmux_town, "crew", "add", "joe", "--rig", "proj")
    started = json.loads(gt(tmux_town, "session", "start", JOE, "--agent", "counter",
                            "--json").stdout)
    assert started["runtime"] == "counter"
    wait_for(lambda: count(counter) > 3, what="the counter to count")
    status = json.loads(gt(tmux_town, "session", "status", JOE, "--json").stdout)
    assert status["live"] and status["backend"] == "tmux" and status["leaders"]

    stopped = json.loads(gt(tmux_town, "estop", "--reason", "runaway; rm -rf $HOME",
                            "--json").stdout)
    assert stopped["scope"] == "town" and "gt-proj-crew-joe" in stopped["frozen"]
    pids = list(json.loads(gt(tmux_town, "session", "status", JOE, "--json").stdout)
                ["processes"])
    assert proc_states(pids) == {"T"}
    assert not counting(counter)
    status = json.loads(gt(tmux_town, "estop", "status", "--json").stdout)
    assert status["frozen"] and status["stops"]["town"]["reason"] == "runaway; rm -rf $HOME"
    assert set(status["sessions"]["gt-proj-crew-joe"]["processes"].values()) == {"T"}
    # frozen: no restart, no new session, and a sling waits in the queue
    refused = gt(tmux_town, "session", "restart", JOE, check=False)
    assert refused.returncode == 1 and "frozen" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    bead = json.loads(bd(tmux_town / "proj", "create", "Held", "--json").stdout)["id"]
    slung = json.loads(gt(tmux_town, "sling", bead, "proj", "--json").stdout)
    assert slung["queued"] and "frozen" in slung["queued"]
    assert states(tmux_town, JOE) == {"T"}  # the restart refused before stopping anything

    thawed = json.loads(gt(tmux_town, "thaw", "--json").stdout)
    assert thawed["thawed"] == ["town"] and thawed["resumed"] == ["gt-proj-crew-joe"]
    assert "T" not in proc_states(pids)
    wait_for(lambda: counting(counter), what="the counter to count again")
    assert [d["bead"] for d in thawed["dispatched"] if "slung_to" in d] == [bead]
    assert json.loads(gt(tmux_town, "estop", "status", "--json").stdout)["frozen"] is False
    # both are ledger events in the town's ledger
    log = git(tmux_town, "log", "--format=%s", "beads")
    assert log.count("config gt.estop") == 2


def test_estop_of_one_rig_leaves_the_rest_running(tmp_path: Path) -> None:
    root = tmp_path / "town"
    gt(tmp_path, "install", str(root), "--no-tmux")
    gt(root, "rig", "add", "proj", str(make_project(tmp_path / "proj")), "--prefix", "pj")
    gt(root, "rig", "add", "lib", str(make_project(tmp_path / "lib")), "--prefix", "lb")
    counter = with_counter(root, tmp_path)
    (tmp_path / "other.py").write_text(COUNTER)
    other = tmp_path / "other.txt"
    gt(root, "config", "agent", "set", "other",
       f"{sys.executable} {tmp_path / 'other.py'} {other}", "--prompt", "none")
    gt(root, "crew", "add", "joe", "--rig", "proj")
    gt(root, "crew", "add", "ann", "--rig", "lib")
    try:
        gt(root, "session", "start", JOE, "--agent", "counter")
        gt(root, "session", "start", "lib/crew/ann", "--agent", "other")
        wait_for(lambda: count(counter) > 3 and count(other) > 3)
        gt(root, "estop", "--rig", "proj")
        assert states(root, JOE) == {"T"}
        assert not counting(counter) and counting(other)
        assert "T" not in states(root, "lib/crew/ann")
        refused = gt(root, "thaw", "--rig", "lib", check=False)
        assert refused.returncode == 1 and "no emergency stop" in refused.stderr
        unknown = gt(root, "estop", "--rig", "nope", check=False)
        assert unknown.returncode == 1 and "no rig named 'nope'" in unknown.stderr
        gt(root, "thaw", "--rig", "proj")
        wait_for(lambda: counting(counter))
        nothing = gt(root, "thaw", check=False)
        assert nothing.returncode == 1 and "nothing is frozen" in nothing.stderr
    finally:
        gt(root, "down")


@pytest.mark.slow
def test_a_clone_of_the_town_is_frozen_after_gt_sync(tmp_path: Path) -> None:
    east, shared = town_with_remote(tmp_path)
    counter = with_counter(east, tmp_path)
    gt(east, "sync")
    west = tmp_path / "west"
    gt(tmp_path, "install", str(west), "--remote", str(shared))
    local = {"GT_NO_TMUX": "1"}
    gt(west, "config", "machine", "west", env=local)
    gt(west, "crew", "add", "joe", "--rig", "proj", env=local)
    log = tmp_path / "west-reactor.log"
    with open(log, "ab") as handle:
        reactor = subprocess.Popen([*GT, "reactor", "run"], cwd=west, stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**os.environ, **local})
    try:
        wait_for(lambda: json.loads(gt(west, "reactor", "status", "--json").stdout)["running"])
        gt(west, "session", "start", JOE, "--agent", "counter", env=local)
        wait_for(lambda: count(counter) > 3)

        gt(east, "estop", "--reason", "stop everything")
        gt(east, "sync")
        assert json.loads(gt(west, "estop", "status", "--json").stdout)["frozen"] is False
        gt(west, "sync", env=local)
        status = json.loads(gt(west, "estop", "status", "--json", env=local).stdout)
        assert status["stops"]["town"]["reason"] == "stop everything"
        # west's reactor sees the event and freezes west's own session
        wait_for(lambda: states(west, JOE, local) == {"T"}, what="west's session frozen")
        assert not counting(counter)

        gt(east, "thaw")
        gt(east, "sync")
        gt(west, "sync", env=local)
        wait_for(lambda: "T" not in states(west, JOE, local), what="west's session resumed")
        wait_for(lambda: counting(counter))
        assert "estop (town): froze 1 session(s)" in log.read_text()
    finally:
        os.killpg(reactor.pid, signal.SIGKILL)
        reactor.wait()
        gt(west, "down", env=local)

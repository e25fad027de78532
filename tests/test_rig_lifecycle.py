"""A rig's and a session's lifecycle by hand: `gt rig park|unpark|start|stop` and `gt session
start|attach|status`, on real processes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import git
from tests.gt_helpers import bd, gt, make_town

SLEEPER = f"{sys.executable} -c 'import time; time.sleep(120)'"
NUX = "proj/polecats/nux"


@pytest.fixture
def town(tmp_path: Path) -> Iterator[Path]:
    root = make_town(tmp_path)
    gt(root, "config", "agent", "set", "sleeper", SLEEPER, "--prompt", "none")
    gt(root, "config", "default-agent", "sleeper")
    yield root
    gt(root, "down")


def sessions(town: Path) -> list[str]:
    return json.loads(gt(town, "session", "list", "--json").stdout)["sessions"]


def create(town: Path, title: str) -> str:
    return json.loads(bd(town / "proj", "create", title, "--json").stdout)["id"]


def test_a_parked_rig_queues_new_work_until_unparked(town: Path) -> None:
    parked = json.loads(gt(town, "rig", "park", "proj", "--reason", "release freeze",
                           "--json").stdout)
    assert parked["parked"] and not parked["already_parked"]
    assert "already parked" in gt(town, "rig", "park", "proj").stdout
    bead = create(town, "Wait for the release")
    slung = json.loads(gt(town, "sling", bead, "proj", "--json").stdout)
    assert slung["queued"] == "rig proj is parked (release freeze)"
    assert sessions(town) == []
    status = json.loads(gt(town, "estop", "status", "--json").stdout)
    assert status["parked"]["proj"]["reason"] == "release freeze"
    # a ledger event of the town's, so every clone of the town sees it
    assert "config gt.parked.proj" in git(town, "log", "--format=%s", "beads")

    unparked = json.loads(gt(town, "rig", "unpark", "proj", "--json").stdout)
    assert [d["bead"] for d in unparked["dispatched"] if "slung_to" in d] == [bead]
    assert json.loads(bd(town, "show", bead, "--json").stdout)["status"] == "hooked"
    assert "gt-proj-nux" in sessions(town)
    again = gt(town, "rig", "unpark", "proj", check=False)
    assert again.returncode == 1 and "not parked" in again.stderr
    unknown = gt(town, "rig", "park", "nope", check=False)
    assert unknown.returncode == 1 and "no rig named 'nope'" in unknown.stderr


def test_rig_stop_and_start_keep_the_hooks(town: Path) -> None:
    bead = create(town, "Long work")
    gt(town, "sling", bead, "proj", "--no-convoy")
    assert sessions(town) == ["gt-proj-nux"]
    stopped = json.loads(gt(town, "rig", "stop", "proj", "--json").stdout)
    assert stopped["stopped"] == ["gt-proj-nux"] and sessions(town) == []
    agents = {a["agent"]: a for a in json.loads(gt(town, "agents", "--json").stdout)}
    assert agents[NUX]["hook"] == bead
    started = json.loads(gt(town, "rig", "start", "proj", "--json").stdout)
    assert started["started"][0] == "proj/refinery"
    assert f"{NUX}: started" in started["started"]
    assert set(sessions(town)) == {"gt-proj-nux", "gt-proj-refinery"}
    assert "everything was already running" in gt(town, "rig", "start", "proj").stdout


def test_session_start_status_and_attach(town: Path) -> None:
    gt(town, "crew", "add", "joe", "--rig", "proj")
    joe = "proj/crew/joe"
    before = json.loads(gt(town, "session", "status", joe, "--json").stdout)
    assert before["live"] is False and before["processes"] == {}
    assert "not running" in gt(town, "session", "status", joe).stdout
    assert json.loads(gt(town, "session", "start", joe, "--json").stdout)["runtime"] == \
        "sleeper"
    status = json.loads(gt(town, "session", "status", joe, "--json").stdout)
    assert status["live"] and status["backend"] == "process"
    assert status["started_at"] and status["command"][0] == sys.executable
    assert set(status["processes"].values()) <= {"S", "R"} and status["processes"]
    assert status["agent_state"] == "idle" and status["hook"] is None
    assert status["stopped"] is False and status["hold"] is None
    human = gt(town, "session", "status", joe).stdout
    assert "live" in human and "processes:" in human
    twice = gt(town, "session", "start", joe, check=False)
    assert twice.returncode == 1 and "already running" in twice.stderr
    attach = gt(town, "session", "attach", joe, check=False)
    assert attach.returncode == 1 and "attach needs tmux" in attach.stderr
    bad = gt(town, "session", "status", "proj/nobody/x", check=False)
    assert bad.returncode == 1 and "not an agent address" in bad.stderr

"""The machinery keeps itself running: the Deacon restarts the reactor and the Refinery, Boot
restarts the Deacon, and a town whose reactor and Deacon die together comes back by itself
(the session manager runs Boot when either one's session ends). Scenarios on real tmux
sessions and, for the process backend, real process sessions."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gt import launch
from gt.agents import Address
from gt.reactor.lock import running_pid
from gt.supervision.deacon import deacon_pid
from gt.town import Town
from tests.gt_helpers import gt, make_project, wait_for

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@pytest.fixture(params=["tmux", "process"])
def town(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "town"
    gt(tmp_path, "install", str(root))
    gt(root, "rig", "add", "proj", str(make_project(tmp_path / "src")), "--prefix", "pj")
    if request.param == "process":
        town = Town(root)
        town.settings.sessions = "process"
        town.save("sessions as plain processes")
    yield root
    gt(root, "down", check=False)
    subprocess.run(["tmux", "-L", Town(root).socket, "kill-server"], capture_output=True)


def deacon_restarts(town: Path) -> list[dict[str, Any]]:
    """The machinery's restarts, as the Deacon's bead records them (ledger events)."""
    ledger = Town(town).ledger()
    comments = ledger.get(Address("deacon").bead_id(ledger.prefix)).get("comments", [])
    return [json.loads(c["text"].split(": ", 1)[1]) for c in comments
            if c["text"].startswith("supervisor restart")]


def details(town: Path) -> list[str]:
    return [action["detail"] for action in deacon_restarts(town)]


def standing(town: Path, killed: tuple[int, ...] = (), timeout: float = 30) -> tuple[int, int]:
    """The pids of the running reactor and Deacon, once both run (and neither is `killed`)."""
    found: list[tuple[int, int]] = []

    def both() -> bool:
        reactor, deacon = running_pid(Town(town)), deacon_pid(Town(town))
        if reactor and reactor > 0 and deacon and deacon > 0 \
                and not {reactor, deacon} & set(killed):
            found.append((reactor, deacon))
            return True
        return False

    wait_for(both, timeout=timeout, what="the reactor and the Deacon to run")
    return found[-1]


def test_a_killed_deacon_is_restarted_by_boot_with_its_evidence(town: Path) -> None:
    gt(town, "up")
    _, deacon = standing(town)
    os.kill(deacon, signal.SIGKILL)
    standing(town, killed=(deacon,))
    wait_for(lambda: "the Deacon restarted" in details(town), timeout=30,
             what="Boot's record of the Deacon's restart")
    action = next(a for a in deacon_restarts(town) if a["detail"] == "the Deacon restarted")
    assert action["state"] == "dead"
    assert action["evidence"]["lock_held"] is False


def test_a_town_whose_reactor_and_deacon_die_together_comes_back(town: Path) -> None:
    """Neither is left to restart the other: what the session manager runs when a session
    ends (tmux's hook, the process wrapper) starts the Deacon, which starts the reactor."""
    gt(town, "up")
    reactor, deacon = standing(town)
    os.kill(deacon, signal.SIGKILL)
    os.kill(reactor, signal.SIGKILL)
    standing(town, killed=(reactor, deacon), timeout=60)
    wait_for(lambda: {"the Deacon restarted", "the reactor restarted"} <= set(details(town)),
             timeout=30, what="both restarts recorded on the Deacon's bead")
    boots = [a for a in deacon_restarts(town) if a["detail"] == "the Deacon restarted"]
    assert boots[0]["evidence"]["trigger"] == "the session manager's exit hook"


def test_a_town_taken_down_stays_down(town: Path) -> None:
    gt(town, "up")
    standing(town)
    gt(town, "down")
    time.sleep(4.0)  # two of the Deacon's rounds, and Boot after every session's end
    assert running_pid(Town(town)) is None and deacon_pid(Town(town)) is None
    assert not Town(town).backend().is_live(launch.DEACON_SESSION)
    assert details(town) == []

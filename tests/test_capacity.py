"""Capacity, for real: `max_polecats` queues slings in the ledger, the reactor dispatches them
in priority then convoy-age order when a polecat frees, and the Mayor hears once when a slot
is free and ready work waits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gt_helpers import GT, bd, gt, make_town, wait_for

SLEEPER = f"{sys.executable} -c 'import time; time.sleep(120)'"


@pytest.fixture
def town(tmp_path: Path) -> Iterator[Path]:
    """A town whose polecats sleep on their work (so they stay busy), one at most in proj."""
    root = make_town(tmp_path)
    gt(root, "config", "agent", "set", "sleeper", SLEEPER, "--prompt", "none")
    gt(root, "config", "default-agent", "sleeper")
    gt(root, "rig", "config", "proj", "max_polecats", "1")
    yield root
    gt(root, "down")


def create(town: Path, title: str, priority: int = 2) -> str:
    return json.loads(bd(town / "proj", "create", title, "-p", str(priority),
                         "--json").stdout)["id"]


def sling(town: Path, bead: str, *args: str) -> dict:
    return json.loads(gt(town, "sling", bead, "proj", *args, "--json").stdout)


def queued(town: Path) -> list[str]:
    return [q["bead"] for q in json.loads(gt(town, "queue", "list", "--json").stdout)]


def hook(town: Path, agent: str = "proj/polecats/nux") -> str | None:
    agents = {a["agent"]: a for a in json.loads(gt(town, "agents", "--json").stdout)}
    return agents[agent]["hook"] if agent in agents else None


@pytest.fixture
def reactor(town: Path, tmp_path: Path) -> Iterator[Path]:
    log = tmp_path / "reactor.log"
    with open(log, "ab") as handle:
        process = subprocess.Popen([*GT, "reactor", "run"], cwd=town, stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    wait_for(lambda: json.loads(gt(town, "reactor", "status", "--json").stdout)["running"])
    yield log
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def test_limits_are_checked_settings(town: Path) -> None:
    for args in (("rig", "config", "proj", "max_polecats", "two"),
                 ("config", "set", "town.max_polecats", "1.5")):
        refused = gt(town, *args, check=False)
        assert refused.returncode == 1 and "0 for no limit" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    gt(town, "config", "set", "town.max_polecats", "3")
    assert "max_polecats = 3" in (town / "town.toml").read_text()


def test_a_sling_beyond_capacity_is_queued_in_the_ledger(town: Path) -> None:
    first, second = create(town, "First"), create(town, "Second")
    assert sling(town, first)["wake"] == "started"
    held = sling(town, second, "--args", "be careful; $(rm -rf /)")
    assert held["queued"] == "rig proj is at capacity (1 of 1 polecats have work)"
    assert held["agent"] == "proj" and held["branch"] is None and held["convoy"]
    human = gt(town, "sling", create(town, "Third"), "proj", "--no-convoy").stdout
    assert human.startswith("queued ") and "at capacity" in human
    bead = json.loads(bd(town, "show", second, "--json").stdout)
    assert bead["status"] == "open" and not bead.get("assignee")
    assert bead["queued_for"] == "proj" and bead["queued_by"] == "overseer"
    assert bead["sling_args"] == "be careful; $(rm -rf /)" and "queued" in bead["labels"]
    assert len(queued(town)) == 2
    # the queue is in the ledger: one commit each
    log = subprocess.run(["git", "log", "--format=%s", "beads"], cwd=town / "proj" / ".repo.git",
                         capture_output=True, text=True, check=True).stdout
    assert f"queue {second} for proj" in log
    # slinging it by hand to a named polecat takes it out of the queue in the same commit
    gt(town, "rig", "config", "proj", "max_polecats", "2")
    gt(town, "sling", second, "proj/polecats/slit")
    bead = json.loads(bd(town, "show", second, "--json").stdout)
    assert bead["status"] == "hooked" and "queued" not in bead["labels"]
    assert not bead.get("queued_for")
    assert second not in queued(town)


def test_queue_cancel(town: Path) -> None:
    gt(town, "config", "set", "town.max_polecats", "1")
    gt(town, "rig", "config", "proj", "max_polecats", "0")
    sling(town, create(town, "Busy"))
    waiting = create(town, "Waiting")
    assert "the town is at capacity" in sling(town, waiting)["queued"]
    cancelled = json.loads(gt(town, "queue", "cancel", waiting, "--json").stdout)
    assert cancelled["bead"] == waiting and cancelled["was_queued_for"] == "proj"
    assert queued(town) == []
    again = gt(town, "queue", "cancel", waiting, check=False)
    assert again.returncode == 1 and "is not queued" in again.stderr
    unknown = gt(town, "queue", "cancel", "pj-nope", check=False)
    assert unknown.returncode == 1 and len(unknown.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_reactor_dispatches_by_priority_then_convoy_age(town: Path, reactor: Path) -> None:
    busy = create(town, "Busy")
    sling(town, busy)
    low, high, older = create(town, "Low", 3), create(town, "High", 1), create(town, "Older", 3)
    # `older` is tracked by a convoy made before `low` was queued (with a convoy of its own)
    gt(town, "convoy", "create", "Early batch", older)
    sling(town, low)
    sling(town, high)
    sling(town, older, "--no-convoy")
    assert queued(town) == [high, older, low]

    gt(town, "unsling", "proj/polecats/nux")
    wait_for(lambda: hook(town) == high, what="the P1 bead dispatched first")
    gt(town, "unsling", "proj/polecats/nux")
    wait_for(lambda: hook(town) == older, what="the bead of the older convoy next")
    assert queued(town) == [low]
    assert f"slung {older} -> proj/polecats/nux" in reactor.read_text()

    # the queue empties; then a free slot with ready work nobody slung mails the Mayor once
    gt(town, "unsling", "proj/polecats/nux")
    wait_for(lambda: hook(town) == low)
    gt(town, "unsling", "proj/polecats/nux")
    wait_for(lambda: "mailed the Mayor" in reactor.read_text())
    sling(town, busy)
    gt(town, "unsling", "proj/polecats/nux")
    wait_for(lambda: "unread mail about it already" in reactor.read_text())
    inbox = json.loads(gt(town, "mail", "inbox", "mayor", "--json").stdout)
    about = [m for m in inbox if m["title"].startswith("Capacity: a polecat slot is free in proj")]
    assert len(about) == 1

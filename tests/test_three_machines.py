"""One town on three machines: each agent names its home machine, and each machine's reactor
starts and nudges only the agents homed there.

Three towns ("machines" east, west and north), each with its own reactor, share the rig
`proj` through one bare remote, reached by path and through `git daemon` on 127.0.0.1. Work
slung on east to agents homed on west and north starts on those machines after a sync, in a
worktree of its own there, and never on east; a plain `git fetch` is enough to bring another
machine's bead into a town with a running reactor; the ledgers converge to one tree.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gt.agents import Address
from tests.conftest import git
from tests.gt_helpers import GT, bd, git_daemon, gt, machine_town, make_project, wait_for

POLECATS = {"east": "proj/polecats/nux", "west": "proj/polecats/slit",
            "north": "proj/polecats/furiosa"}
SLEEPER = f"{sys.executable} -c 'import time; time.sleep(60)'"


@pytest.fixture(params=["path", "daemon"])
def remote(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The bare remote of the project, and the URL the machines reach it by."""
    bare = tmp_path / "served" / "proj.git"
    git(tmp_path, "clone", "-q", "--bare", str(make_project(tmp_path / "seed")), str(bare))
    if request.param == "path":
        yield bare, str(bare)
    else:
        with git_daemon(bare) as url:
            yield bare, url


def sessions(town: Path) -> list[str]:
    return json.loads(gt(town, "session", "list", "--json").stdout)["sessions"]


def session(machine: str) -> str:
    """The session name of the polecat homed on `machine`."""
    return Address.parse(POLECATS[machine]).session


def create(town: Path, title: str) -> str:
    return json.loads(bd(town / "proj", "create", title, "--json").stdout)["id"]


def sling(town: Path, bead: str, machine: str) -> str:
    """Sling `bead` to the polecat homed on `machine`; returns what sling said of waking it."""
    return json.loads(gt(town, "sling", bead, POLECATS[machine], "--no-convoy",
                         "--json").stdout)["wake"]


def sync_in_turn(*towns: Path) -> None:
    for town in towns:
        gt(town, "sync")


def worktree(town: Path, machine: str) -> Path:
    """Where, in `town`, the worktree of the polecat homed on `machine` lives."""
    return town / "proj" / "polecats" / str(Address.parse(POLECATS[machine]).name)


def woken(log: Path) -> set[str]:
    """The agents a reactor's log says it woke (lines `<time> wake <agent>: <outcome>`)."""
    return set(re.findall(r"^\S+ wake (\S+): ", log.read_text(), flags=re.MULTILINE))


def ledger_tree(repo: Path) -> str:
    return git(repo, "rev-parse", "beads^{tree}").strip()


@pytest.mark.slow
def test_each_machine_starts_only_the_agents_homed_on_it(
        tmp_path: Path, remote: tuple[Path, str]) -> None:
    bare, url = remote
    towns = {machine: machine_town(tmp_path, machine, url, SLEEPER) for machine in POLECATS}
    east, west, north = towns["east"], towns["west"], towns["north"]
    git(west / "proj" / ".repo.git", "push", "-q", "origin", "beads")
    sync_in_turn(east, west, north)

    # each polecat is born, so homed, on its own machine; then nothing is on its hook
    for machine, town in towns.items():
        assert sling(town, create(town, f"{machine}'s first work"), machine) == "started"
        gt(town, "unsling", POLECATS[machine])
        gt(town, "session", "stop", POLECATS[machine])
    sync_in_turn(east, west, north, east, west)
    homes = {a["agent"]: a["home"] for a in json.loads(gt(north, "agents", "--json").stdout)
             if a["agent"] in POLECATS.values()}
    assert homes == {agent: machine for machine, agent in POLECATS.items()}

    logs = {machine: tmp_path / f"{machine}-reactor.log" for machine in towns}
    reactors = []
    try:
        for machine, town in towns.items():
            with open(logs[machine], "ab") as log:
                reactors.append(subprocess.Popen([*GT, "reactor", "run"], cwd=town,
                                                 stdout=log, stderr=subprocess.STDOUT,
                                                 start_new_session=True))
        # each reactor catches up on its own history first: the old sling's wake is
        # skipped, since nothing is on the polecat's hook any more
        for machine in towns:
            wait_for(lambda machine=machine: "nothing is on its hook now"
                     in logs[machine].read_text())
        assert all(sessions(town) == [] for town in towns.values())

        for_north, for_west = create(east, "North's work"), create(east, "West's work")
        assert sling(east, for_north, "north").startswith("homed on north")
        assert sling(east, for_west, "west").startswith("homed on west")
        assert sessions(east) == []
        sync_in_turn(east, west, north)
        wait_for(lambda: session("west") in sessions(west))
        wait_for(lambda: session("north") in sessions(north))
        # east's reactor handles its commits in order: once it has woken its own polecat
        # for a later sling, it has passed the slings to west's and north's
        assert sling(east, create(east, "East's work"), "east") == "the reactor wakes it"
        wait_for(lambda: session("east") in sessions(east))
        assert sessions(east) == [session("east")]
        assert sessions(west) == [session("west")]
        assert sessions(north) == [session("north")]
        # the work starts in a worktree of its own on the agent's home machine; east,
        # which slung it, makes none
        assert git(worktree(west, "west"), "branch", "--show-current").strip() == \
            f"polecat/slit/{for_west}"
        assert git(worktree(north, "north"), "branch", "--show-current").strip() == \
            f"polecat/furiosa/{for_north}"
        assert not worktree(east, "west").exists() and not worktree(east, "north").exists()
        for machine in towns:
            assert woken(logs[machine]) == {POLECATS[machine]}

        # a plain git fetch, no gt command: west's reactor merges north's new bead
        filed = create(north, "Filed on north")
        gt(north, "sync")
        git(west / "proj" / ".repo.git", "fetch", "-q", "origin")
        wait_for(lambda: bd(west / "proj", "show", filed, "--json",
                            check=False).returncode == 0)
        sync_in_turn(east, west, north, east, west)
    finally:
        for reactor in reactors:
            os.killpg(reactor.pid, signal.SIGKILL)
            reactor.wait()
        for town in towns.values():
            gt(town, "down")

    repos = [town / "proj" / ".repo.git" for town in towns.values()]
    assert {ledger_tree(repo) for repo in repos} == {ledger_tree(bare)}
    # the rig's agent beads, made on every machine under the same chosen ids, merged
    listed = json.loads(bd(east / "proj", "list", "--all", "--json").stdout)
    assert not [b["id"] for b in listed if re.search(r"-[0-9a-f]{6}$", b["id"])]
    for town in towns.values():
        assert json.loads(bd(town / "proj", "verify", "--json").stdout)["ok"]
        assert json.loads(bd(town / "proj", "show", filed, "--json").stdout)

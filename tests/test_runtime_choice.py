"""The runtime chosen at sling time travels with the hook: whoever starts the session (the
reactor's wake, `gt sling` itself, a restart) starts that runtime, not the town's default."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.gt_helpers import bd, gt, make_town, start_reactor, wait_for
from tests.test_reactor import stop

# A runtime that says who started it, then stays up like an agent waiting for input.
RECORDER = ("import os, sys, time; "
            "open(os.path.join(os.environ['GT_TOWN'], 'started.txt'), 'a')"
            ".write(sys.argv[1] + ' ' + os.environ['GT_AGENT'] + '\\n'); time.sleep(120)")


@pytest.fixture
def town(tmp_path: Path) -> Path:
    root = make_town(tmp_path)
    for name in ("alpha", "beta"):
        gt(root, "config", "agent", "set", name, f'{sys.executable} -c "{RECORDER}" {name}',
           "--prompt", "none")
    gt(root, "config", "default-agent", "alpha")
    return root


def started(town: Path) -> list[str]:
    path = town / "started.txt"
    return path.read_text().splitlines() if path.exists() else []


def agent(town: Path, bead_id: str) -> dict[str, object]:
    return json.loads(bd(town / "proj", "show", bead_id, "--json").stdout)


def test_with_the_reactor_up_sling_agent_starts_the_chosen_runtime(
        town: Path, tmp_path: Path) -> None:
    reactor = start_reactor(town, tmp_path / "reactor.log")
    try:
        bead = json.loads(bd(town / "proj", "create", "Feature", "--json").stdout)["id"]
        slung = json.loads(gt(town, "sling", bead, "proj", "--agent", "beta", "--no-convoy",
                              "--json").stdout)
        assert slung["wake"] == "the reactor wakes it"
        wait_for(lambda: started(town), what="the polecat's session to start")
        assert started(town) == ["beta proj/polecats/nux"]
        polecat = agent(town, "pj-proj-polecat-nux")
        assert (polecat["hook_bead"], polecat["hook_runtime"]) == (bead, "beta")
        # The hook and its runtime were set in one ledger commit.
        history = json.loads(bd(town / "proj", "history", "pj-proj-polecat-nux",
                                "--json").stdout)
        [hooking] = [e for e in history if "hook_bead" in e["data"].get("set", {})]
        assert hooking["data"]["set"]["hook_runtime"] == "beta"

        # A restart without --agent keeps the runtime slung with the work.
        restarted = gt(town, "session", "restart", "proj/polecats/nux").stdout.strip()
        assert restarted == "restarted proj/polecats/nux (beta)"
        wait_for(lambda: len(started(town)) == 2)
        assert started(town)[1] == "beta proj/polecats/nux"
        assert "already running" not in (tmp_path / "reactor.log").read_text()
    finally:
        stop(reactor)
        gt(town, "down")


def test_without_agent_the_towns_default_starts_and_a_later_sling_resets_the_choice(
        town: Path) -> None:
    first = json.loads(bd(town / "proj", "create", "One", "--json").stdout)["id"]
    slung = json.loads(gt(town, "sling", first, "proj", "--agent", "beta", "--no-convoy",
                          "--json").stdout)
    try:
        assert slung["wake"] == "started"
        wait_for(lambda: started(town) == ["beta proj/polecats/nux"])
        gt(town, "unsling", "proj/polecats/nux")
        gt(town, "session", "stop", "proj/polecats/nux")
        second = json.loads(bd(town / "proj", "create", "Two", "--json").stdout)["id"]
        gt(town, "sling", second, "proj/polecats/nux", "--no-convoy")
        wait_for(lambda: len(started(town)) == 2)
        assert started(town)[1] == "alpha proj/polecats/nux"
        assert agent(town, "pj-proj-polecat-nux").get("hook_runtime") is None
    finally:
        gt(town, "down")


def test_an_unknown_runtime_is_refused_before_anything_is_hooked(town: Path) -> None:
    bead = json.loads(bd(town / "proj", "create", "Feature", "--json").stdout)["id"]
    result = gt(town, "sling", bead, "proj", "--agent", "nosuch", check=False)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "unknown runtime 'nosuch'" in line
    assert agent(town, bead)["status"] == "open"
    assert started(town) == []

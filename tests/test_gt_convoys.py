"""Convoys that finish: add, close, land by hand; staged convoys in waves, the next wave
slung by the reactor when one lands; stranded convoys slung or escalated."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from gt.town import Town
from gt.work import stranded
from tests.gt_helpers import bd, gt, idle_agents, make_town, wait_for


@pytest.fixture
def town(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = make_town(tmp_path)
    idle_agents(root)
    yield root
    gt(root, "down", check=False)


def new(town: Path, title: str) -> str:
    return json.loads(bd(town / "proj", "create", title, "--json").stdout)["id"]


def show(town: Path, bead: str) -> dict:
    return json.loads(bd(town, "show", bead, "--json").stdout)


def convoy_status(town: Path, convoy: str) -> dict:
    return json.loads(gt(town, "convoy", "status", convoy, "--json").stdout)


def test_add_close_and_land_by_hand(town: Path) -> None:
    first, second = new(town, "first"), new(town, "second")
    convoy = json.loads(gt(town, "convoy", "create", "batch", first, "--json").stdout)["id"]
    added = json.loads(gt(town, "convoy", "add", convoy, second, "--json").stdout)
    assert added["total"] == 2
    refused = gt(town, "convoy", "land", convoy, check=False)
    assert refused.returncode == 1 and "2 bead(s) not closed" in refused.stderr
    bd(town / "proj", "close", first, second)
    landed = json.loads(gt(town, "convoy", "land", convoy, "--json").stdout)
    assert landed["status"] == "closed"
    mail = json.loads(gt(town, "mail", "inbox", "--json").stdout)
    assert any("Convoy landed" in m["title"] for m in mail)
    again = gt(town, "convoy", "land", convoy, check=False)
    assert again.returncode == 1 and "is closed" in again.stderr

    other = json.loads(gt(town, "convoy", "create", "other", new(town, "third"),
                          "--json").stdout)["id"]
    closed = json.loads(gt(town, "convoy", "close", other, "--reason", "dropped",
                           "--json").stdout)
    assert closed["status"] == "closed" and closed["closed"] == 0
    bad = gt(town, "convoy", "add", other, first, check=False)
    assert bad.returncode == 1 and "closed" in bad.stderr and "Traceback" not in bad.stderr


def test_a_staged_convoy_runs_wave_after_wave(town: Path) -> None:
    one, two, three = new(town, "wave one a"), new(town, "wave one b"), new(town, "wave two")
    staged = json.loads(gt(town, "convoy", "stage", "waves", "--wave", f"{one},{two}",
                           "--wave", three, "--json").stdout)
    convoy = staged["id"]
    assert staged["total"] == 3 and show(town, three)["status"] == "open"
    status = json.loads(gt(town, "status", "--json").stdout)
    row = next(c for c in status["convoys"] if c["id"] == convoy)
    assert (row["waves"], row["wave"], row["stranded"]) == (2, 0, None)

    launched = json.loads(gt(town, "convoy", "launch", convoy, "--json").stdout)
    assert [s["bead"] for s in launched["slung"]] == [one, two]
    assert all("agent" in s for s in launched["slung"])
    assert show(town, one)["status"] == "hooked" and show(town, three)["status"] == "open"
    twice = gt(town, "convoy", "launch", convoy, check=False)
    assert twice.returncode == 1 and "launched already" in twice.stderr

    gt(town, "reactor", "start")
    bd(town / "proj", "close", one, "--force")
    time.sleep(1)
    assert show(town, three)["status"] == "open", "wave one is not all closed yet"
    bd(town / "proj", "close", two, "--force")
    wait_for(lambda: show(town, three)["status"] == "hooked", timeout=30,
             what="the reactor slinging wave two")
    assert show(town, convoy)["wave"] == 2


def test_stranded_ready_work_is_slung(town: Path) -> None:
    gt(town, "config", "set", "town.stranded_ready_after", "0.5")
    bead = new(town, "nobody took me")
    convoy = json.loads(gt(town, "convoy", "create", "left alone", bead, "--json").stdout)["id"]
    time.sleep(1)
    [row] = stranded.find(Town(town))
    assert row["id"] == convoy and row["stranded_kind"] == "ready"
    lines = stranded.act(Town(town))
    assert lines == [f"stranded {convoy}: {bead} slung to proj/polecats/nux"]
    assert show(town, bead)["status"] == "hooked"
    assert stranded.find(Town(town)) == []


def test_a_convoy_without_progress_is_escalated_once(town: Path) -> None:
    gt(town, "config", "set", "town.stranded_after", "0.5")
    bead = new(town, "stuck work")
    bd(town / "proj", "update", bead, "--status", "in_progress", "--assignee", "someone")
    convoy = json.loads(gt(town, "convoy", "create", "stuck", bead, "--json").stdout)["id"]
    time.sleep(1)
    problems = json.loads(gt(town, "status", "--json").stdout)["problems"]
    assert any(p["kind"] == "convoy" and p["subject"] == convoy for p in problems)
    [line] = stranded.act(Town(town))
    assert line.startswith(f"stranded {convoy}: escalated")
    assert stranded.act(Town(town)) == [], "one escalation per stall"
    [raised] = json.loads(gt(town, "escalate", "list", "--json").stdout)
    assert raised["severity"] == "high" and "Convoy stranded: stuck" in raised["title"]
    inbox = json.loads(gt(town, "mail", "inbox", "mayor", "--json").stdout)
    assert len(inbox) == 1 and "Convoy stranded: stuck" in inbox[0]["title"]


def test_staging_refuses_bad_waves(town: Path) -> None:
    bead = new(town, "twice")
    result = gt(town, "convoy", "stage", "dup", "--wave", bead, "--wave", bead, check=False)
    assert result.returncode == 1 and "two waves" in result.stderr
    missing = gt(town, "convoy", "stage", "none", "--wave", "pj-nope", check=False)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    plain = json.loads(gt(town, "convoy", "create", "plain", bead, "--json").stdout)["id"]
    refused = gt(town, "convoy", "launch", plain, check=False)
    assert refused.returncode == 1 and "not staged" in refused.stderr

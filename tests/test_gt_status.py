"""`gt status`: the town on one screen, problems first, read from the caches and refs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gt.agents import Address, ensure_agent
from gt.town import Town
from tests.gt_helpers import GT, bd, gt, make_town, run, wait_for

HOSTILE = "evil \x1b[31mred\x1b[0m <script>alert(1)</script> $(rm -rf ~)"


@pytest.fixture
def town(tmp_path: Path) -> Path:
    return make_town(tmp_path)


def status(town: Path) -> dict:
    return json.loads(gt(town, "status", "--json").stdout)


def create(where: Path, title: str, *args: str) -> str:
    return json.loads(bd(where, "create", title, *args, "--json").stdout)["id"]


def test_a_quiet_town_shows_its_agents_work_and_the_stopped_reactor(town: Path) -> None:
    create(town / "proj", "first task")
    create(town / "proj", "second task")
    shown = status(town)
    assert [r["name"] for r in shown["rigs"]] == ["proj"]
    assert {a["agent"] for a in shown["agents"]} >= {"mayor", "proj/witness"}
    assert shown["work"]["ready"] == 2 and shown["work"]["open"] == 2
    assert shown["reactor"]["running"] is False
    assert shown["problems"][0]["kind"] == "reactor"
    assert shown["escalations"] == []
    assert shown["mail"]["unread"] == 0


def test_problems_come_first_and_name_what_is_wrong(town: Path) -> None:
    gt(town, "config", "set", "town.stranded_ready_after", "0.5")
    rig_ledger = Town(town).open_ledger(town / "proj" / ".repo.git")
    nux = ensure_agent(rig_ledger, Address("polecat", "proj", "nux"))
    work = create(town / "proj", "hooked work")
    rig_ledger.update_many("hook by hand", {nux["id"]: {"agent_state": "working",
                                                         "hook_bead": work},
                                            work: {"status": "hooked",
                                                   "assignee": "proj/polecats/nux"}})
    sent_back = create(town / "proj", "rejected work")
    rig_ledger.update_many("reject", {sent_back: {"mr_state": "rejected", "rejections": 1}})
    queued = create(town / "proj", "queued work")
    repo = town / "proj" / ".repo.git"
    head = run(["git", "rev-parse", "main"], repo).stdout.strip()
    run(["git", "update-ref", f"refs/mr/{queued}", head], repo)
    escalation = create(town, "Gate keeps failing", "--labels", "escalation")
    convoy = json.loads(gt(town, "convoy", "create", "batch", work, sent_back,
                           "--json").stdout)["id"]
    idle = create(town / "proj", "nobody on it")
    stranded = json.loads(gt(town, "convoy", "create", "idle batch", idle,
                             "--json").stdout)["id"]
    time.sleep(1)

    shown = status(town)
    kinds = [(p["severity"], p["kind"], p["subject"]) for p in shown["problems"]]
    errors = [k for k in kinds if k[0] == "error"]
    assert kinds[:len(errors)] == errors, "errors come before warnings"
    assert ("error", "agent", "proj/polecats/nux") in kinds
    assert ("error", "escalation", escalation) in kinds
    assert ("error", "refinery", "proj") in kinds
    assert ("warning", "merge", sent_back) in kinds
    agent = next(a for a in shown["agents"] if a["agent"] == "proj/polecats/nux")
    assert agent["hook"] == work and agent["hook_title"] == "hooked work"
    assert agent["live"] is False
    queue = shown["merge_queues"][0]
    assert [r["bead"] for r in queue["pending"]] == [queued]
    assert queue["pending"][0]["commit"] == head
    assert [r["bead"] for r in queue["rejected"]] == [sent_back]
    row = next(c for c in shown["convoys"] if c["id"] == convoy)
    assert (row["closed"], row["total"], row["active"]) == (0, 2, 1)
    assert row["ready"] == [sent_back] and not row["stranded"]  # an agent is on it
    row = next(c for c in shown["convoys"] if c["id"] == stranded)
    assert row["ready"] == [idle] and row["active"] == 0
    assert "ready" in row["stranded"]
    assert ("warning", "convoy", stranded) in kinds

    human = gt(town, "status").stdout
    assert human.splitlines()[1].startswith("PROBLEMS")
    assert human.index("PROBLEMS") < human.index("AGENTS") < human.index("CONVOYS")


def test_hostile_titles_are_data_on_the_terminal(town: Path) -> None:
    bead = create(town / "proj", HOSTILE)
    gt(town, "convoy", "create", HOSTILE, bead)
    human = gt(town, "status").stdout
    assert "\x1b" not in human
    assert "evil \\x1b[31mred" in human  # shown as visible text, not interpreted


def test_the_fast_path_and_the_full_command_agree(town: Path) -> None:
    create(town / "proj", "some work")
    fast = json.loads(gt(town, "status", "--json").stdout)
    full = json.loads(gt(town, "--json", "status").stdout)
    for key in ("problems", "agents", "convoys", "work", "merge_queues", "tips"):
        assert fast[key] == full[key]


def test_the_fast_path_never_loads_pygit2_or_click(town: Path) -> None:
    probe = ("import sys, runpy; sys.argv = ['gt', 'status', '--json'];\n"
             "import gt.cli.entry as e\n"
             "e.main()\n"
             "assert 'pygit2' not in sys.modules and 'click' not in sys.modules, "
             "sorted(m for m in sys.modules if m in ('pygit2', 'click'))\n")
    run([sys.executable, "-c", probe], town)


def test_bad_settings_are_one_line(town: Path) -> None:
    (town / "town.toml").write_text((town / "town.toml").read_text()
                                    + "\n[town.extra]\nx = 1\n")
    result = gt(town, "status", check=False)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_watch_redraws_when_a_ledger_commit_lands(town: Path) -> None:
    watcher = subprocess.Popen([*GT, "status", "--watch"], cwd=town, stdout=subprocess.PIPE,
                               text=True, bufsize=1)
    try:
        lines: list[str] = []

        def draws() -> int:
            return sum(1 for line in lines if line.startswith("town "))

        import threading

        reader = threading.Thread(target=lambda: lines.extend(iter(watcher.stdout.readline,
                                                                   "")), daemon=True)
        reader.start()
        wait_for(lambda: draws() == 1, what="the first draw")
        time.sleep(0.5)
        assert draws() == 1, "nothing changed: no redraw (no timer)"
        create(town / "proj", "appears in the watch")
        wait_for(lambda: draws() >= 2 and any("ready 1" in line for line in lines),
                 timeout=30, what="a redraw after the commit")
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)


def test_feed_problems_lists_what_needs_a_person_and_follows(town: Path) -> None:
    bd(town / "proj", "create", "ordinary work")
    now = json.loads(gt(town, "feed", "--problems", "--json").stdout)
    assert [p["kind"] for p in now] == ["reactor"]
    follower = subprocess.Popen([*GT, "feed", "--problems", "-f", "--json"], cwd=town,
                                stdout=subprocess.PIPE, text=True, bufsize=1)
    try:
        import threading

        rows: list[dict] = []
        threading.Thread(target=lambda: rows.extend(json.loads(line) for line in
                                                    iter(follower.stdout.readline, "")),
                         daemon=True).start()
        wait_for(lambda: len(rows) == 1, what="the current problem")
        escalation = create(town, "Help: the gate is broken", "--labels", "escalation")
        wait_for(lambda: any(r["subject"] == escalation and r["state"] == "new" for r in rows),
                 timeout=30, what="the escalation in the live problem feed")
        bd(town, "close", escalation)
        wait_for(lambda: any(r["subject"] == escalation and r["state"] == "gone"
                             for r in rows), timeout=30, what="the escalation going away")
        assert not any(r["kind"] not in ("reactor", "escalation") for r in rows), rows
    finally:
        follower.terminate()
        follower.wait(timeout=10)

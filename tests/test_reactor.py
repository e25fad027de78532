"""The reactor, for real: watchdog on real refs, real sessions, killed and restarted."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pygit2
import pytest

from beads import Ledger
from beads.ledger import NewBead
from beads.query import Filters
from gt.reactor.scan import batch_size, commits_since
from gt.town import Town
from tests.gt_helpers import bd, gt, make_project, make_town, run, start_reactor, wait_for


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def town(tmp_path: Path) -> Path:
    return make_town(tmp_path)


def test_sling_with_the_reactor_up_wakes_the_stopped_agent(town: Path, tmp_path: Path) -> None:
    reactor = start_reactor(town, tmp_path / "reactor.log")
    try:
        meta = json.dumps({"script": {"edits": [{"op": "write", "path": "f.txt",
                                                  "content": "x\n"}]}})
        bead = json.loads(bd(town / "proj", "create", "Feature", "--metadata", meta,
                             "--json").stdout)["id"]
        slung = json.loads(gt(town, "sling", bead, "proj", "--no-convoy", "--json").stdout)
        assert slung["wake"] == "the reactor wakes it"
        # the reactor starts the polecat; gt done then makes it start the Refinery,
        # and the merge closes the bead.
        wait_for(lambda: json.loads(bd(town, "show", bead, "--json").stdout)["status"]
                 == "closed", timeout=60)
        log = (tmp_path / "reactor.log").read_text()
        assert "wake proj/polecats/nux: started" in log
        assert "refinery of proj: started" in log
    finally:
        stop(reactor)
        gt(town, "down")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_reactor_nudges_a_live_agent(tmp_path: Path) -> None:
    root = tmp_path / "town"
    gt(tmp_path, "install", str(root))
    gt(root, "rig", "add", "proj", str(make_project(tmp_path / "proj")), "--prefix", "pj")
    gt(root, "crew", "add", "joe", "--rig", "proj")
    heard = tmp_path / "heard.txt"
    (tmp_path / "listener.py").write_text(
        f"import sys\nwith open({str(heard)!r}, 'a') as out:\n"
        "    for line in sys.stdin:\n        out.write(line); out.flush()\n")
    gt(root, "config", "agent", "set", "listener",
       f"{sys.executable} {tmp_path / 'listener.py'}", "--prompt", "none")
    gt(root, "session", "restart", "proj/crew/joe", "--agent", "listener")
    reactor = start_reactor(root, tmp_path / "reactor.log")
    try:
        bead = json.loads(bd(root / "proj", "create", "For joe", "--json").stdout)["id"]
        gt(root, "sling", bead, "proj/crew/joe", "--no-convoy")
        wait_for(lambda: heard.exists() and "work on your hook" in heard.read_text())
        town_ledger = Ledger(root, "mayor")
        started = time.monotonic()
        for n in range(200):
            town_ledger.create(f"note {n}", issue_type="message", assignee="proj/crew/joe",
                               sender="mayor", labels=["unread"])
        burst = time.monotonic() - started
        wait_for(lambda: "new message" in heard.read_text(), what="the first mail nudge")
        time.sleep(1.0)  # time for any further nudges, which the rate limit must hold back
        nudges = heard.read_text().count("new message")
        # one nudge per few seconds at most, however many messages arrive
        assert 1 <= nudges <= 1 + int(burst // 3), (burst, heard.read_text())
    finally:
        stop(reactor)
        subprocess.run(["tmux", "-L", Town(root).socket, "kill-server"], capture_output=True)


def test_reactor_catches_up_after_being_down(town: Path, tmp_path: Path) -> None:
    beads = [json.loads(bd(town / "proj", "create", f"b{n}", "--json").stdout)["id"]
             for n in range(3)]
    convoy = json.loads(gt(town, "convoy", "create", "Batch", *beads, "--json").stdout)["id"]
    bd(town / "proj", "close", *beads)
    assert json.loads(bd(town, "show", convoy, "--json").stdout)["status"] == "open"
    reactor = start_reactor(town, tmp_path / "reactor.log")
    try:
        wait_for(lambda: json.loads(bd(town, "show", convoy, "--json").stdout)["status"]
                 == "closed")
    finally:
        stop(reactor)
    landed = [m for m in json.loads(gt(town, "mail", "inbox", "overseer", "--json").stdout)
              if m["title"] == "Convoy landed: Batch"]
    assert len(landed) == 1


def test_a_second_reactor_is_refused(town: Path, tmp_path: Path) -> None:
    reactor = start_reactor(town, tmp_path / "reactor.log")
    try:
        second = gt(town, "reactor", "run", check=False)
        assert second.returncode == 1 and "already running" in second.stderr
    finally:
        stop(reactor)


@pytest.mark.slow
def test_killed_mid_burst_and_restarted_each_event_has_one_effect(town: Path,
                                                                  tmp_path: Path) -> None:
    """500 closes, each landing its own convoy: SIGKILL the reactor again and again in the
    middle; in the end every convoy landed once and its owner got one mail."""
    rig_ledger = Ledger(town / "proj" / ".repo.git", "mayor")
    town_ledger = Ledger(town, "mayor")
    beads = [b["id"] for b in rig_ledger.create_many(
        [NewBead(title=f"work {n}") for n in range(500)])]
    convoys = [c["id"] for c in town_ledger.create_many(
        [NewBead(title=f"convoy {n}", fields={"issue_type": "convoy", "owner": "overseer"},
                 deps=[("tracks", b)]) for n, b in enumerate(beads)])]
    for start in range(0, 500, 100):
        rig_ledger.close(beads[start:start + 100])
    rng = random.Random(7)
    log = tmp_path / "reactor.log"
    for _kill in range(6):
        reactor = start_reactor(town, log)
        time.sleep(rng.uniform(0.3, 1.2))
        stop(reactor)
    reactor = start_reactor(town, log)
    try:
        wait_for(lambda: not town_ledger.list(Filters(types=["convoy"], include_closed=False),
                                              limit=None), timeout=180)
    finally:
        stop(reactor)
    history = run(["git", "log", "--format=%s", "beads"], town).stdout.splitlines()
    for convoy in convoys:
        assert history.count(f"land convoy {convoy}") == 1, convoy
    mails = json.loads(gt(town, "mail", "inbox", "overseer", "--json").stdout)
    titles = [m["title"] for m in mails]
    assert len(titles) == 500 and len(set(titles)) == 500


def test_scans_in_batches_handle_each_commit_of_a_merged_history_once(tmp_path: Path) -> None:
    """A cursor on one side of a merge does not cover the other side: batches end only where
    the next cursor covers every commit handled, so each commit is handled exactly once."""
    repo = pygit2.init_repository(str(tmp_path / "ledger.git"), bare=True)
    who = pygit2.Signature("t", "t@example.com")
    tree = repo.TreeBuilder().write()

    def chain(parents: list[str], name: str, length: int) -> str:
        for n in range(length):
            parents = [str(repo.create_commit(None, who, who, f"{name} {n}", tree,
                                              [pygit2.Oid(hex=p) for p in parents]))]
        return parents[0]

    def scan_all(cursor: str, head: str) -> tuple[list[str], list[int]]:
        handled: list[str] = []
        sizes: list[int] = []
        while cursor != head:
            commits = commits_since(repo, cursor, head)
            sizes.append(batch_size(commits, cursor, 50))
            handled += [str(c.id) for c in commits[:sizes[-1]]]
            cursor = handled[-1]
            assert len(sizes) < 10, sizes
        return handled, sizes

    base = chain([], "base", 1)
    linear = chain([base], "linear", 120)
    assert scan_all(base, linear)[1] == [50, 50, 20]
    cursor = chain([base], "ours", 5)
    ours, theirs = chain([cursor], "ours", 55), chain([base], "theirs", 60)
    head = chain([chain([ours, theirs], "merge", 1)], "after", 10)
    handled, _sizes = scan_all(cursor, head)
    expected = [str(c.id) for c in commits_since(repo, cursor, head)]
    assert sorted(handled) == sorted(expected) and len(handled) == 126


def test_feed_shows_the_towns_events(town: Path) -> None:
    bead = json.loads(bd(town / "proj", "create", "Feed me", "--json").stdout)["id"]
    gt(town, "mail", "send", "mayor", "-s", "hello")
    rows = json.loads(gt(town, "feed", "--since", "1h", "--json").stdout)
    summaries = [(r["ledger"], r["op"], r["bead"]) for r in rows]
    assert ("proj", "create", bead) in summaries
    assert any(r["ledger"] == "town" and r["summary"] == "create hello" for r in rows)
    human = gt(town, "feed", "--since", "1h").stdout.splitlines()
    assert any("[proj]" in line and line.endswith(": create Feed me") for line in human)
    assert rows == sorted(rows, key=lambda r: (r["ts"], r["ledger"]))


def test_hooks_are_installed_in_every_ledger_of_the_town(town: Path) -> None:
    status = json.loads(gt(town, "hooks", "status", "--json").stdout)
    assert [Path(repo["git_dir"]).name for repo in status] == [".git", ".repo.git"]
    assert all(state == "installed" for repo in status for state in repo["hooks"].values())

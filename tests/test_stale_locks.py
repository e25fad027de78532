"""A ref's lock file a killed git process left behind stops the Refinery landing anything (or
the town committing its settings); the Deacon removes it once it is stale (old, and open in no
process), as a ledger event with its evidence, and the waiting merge lands. A lock a live
process holds is never touched, nor an index's lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from gt.agents import Address
from gt.supervision.deacon import clear_stale_locks
from gt.town import Town
from tests.gt_helpers import bd, gt, make_town, run, wait_for

SCRIPT = {"edits": [{"op": "write", "path": "feature.txt", "content": "done\n"}]}


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def unlocks(town: Path) -> list[dict]:
    ledger = Town(town).ledger()
    comments = ledger.get(Address("deacon").bead_id(ledger.prefix)).get("comments", [])
    return [json.loads(c["text"].split(": ", 1)[1]) for c in comments
            if c["text"].startswith("supervisor unlock")]


def test_a_stale_ref_lock_is_removed_and_the_waiting_merge_lands(tmp_path: Path) -> None:
    town = make_town(tmp_path)
    repo = town / "proj" / ".repo.git"
    meta = json.dumps({"script": SCRIPT})
    bead = json.loads(bd(town / "proj", "create", "Behind a lock", "--metadata", meta,
                         "--json").stdout)["id"]
    gt(town, "sling", bead, "proj", "--no-convoy")
    wait_for(lambda: json.loads(bd(town, "show", bead, "--json").stdout).get("mr_state")
             == "pending", what="the merge request")
    # what a Refinery killed inside `git update-ref` leaves behind
    lock = repo / "refs" / "heads" / "main.lock"
    lock.write_text(run(["git", "rev-parse", "main"], repo).stdout)
    blocked = gt(town, "refinery", "run", "proj", "--once", check=False)
    assert blocked.returncode == 1 and "main is locked (refs/heads/main.lock)" in blocked.stderr
    assert run(["git", "show", "main:feature.txt"], repo, check=False).returncode != 0

    gt(town, "config", "set", "supervision.stale_lock", "60")
    held = repo / "refs" / "heads" / "held.lock"
    held.write_text("")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                               "f = open(sys.argv[1])\nprint('open', flush=True)\n"
                               "time.sleep(60)", str(held)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        assert clear_stale_locks(Town(town)) == [], "a young lock is left alone"
        age(lock, 120)
        age(held, 120)
        settings = town / ".git" / "refs" / "heads" / "main.lock"  # `gt config set`'s commit
        settings.write_text("")
        age(settings, 300)
        # `git commit <paths>` keeps the index locked, file closed, while its hook runs
        index = town / ".git" / "index.lock"
        index.write_text("")
        age(index, 300)
        lines = clear_stale_locks(Town(town))
        assert [line.split(" (")[0] for line in lines] == [
            "town: removed the stale lock refs/heads/main.lock",
            "proj: removed the stale lock refs/heads/main.lock"]
        assert not lock.exists() and not settings.exists()
        assert held.exists(), "a lock held open is never removed"
        assert index.exists(), "an index lock is left to a person"
        index.unlink()
    finally:
        holder.kill()
        holder.wait()
    [_, unlock] = unlocks(town)
    assert unlock["state"] == "stale" and unlock["evidence"]["lock"] == "refs/heads/main.lock"
    assert unlock["evidence"]["repository"] == "proj"
    assert unlock["evidence"]["age_seconds"] >= 120 and unlock["evidence"]["open_by"] == []
    assert unlock["evidence"]["older_than"] == 60
    log = run(["git", "log", "--format=%s", "beads"], town).stdout
    assert log.count("deacon: unlock deacon (stale)") == 2
    gt(town, "config", "set", "supervision.stale_lock", "120")  # the town commits again

    merged = json.loads(gt(town, "refinery", "run", "proj", "--once", "--json").stdout)
    assert [m["action"] for m in merged] == ["merged"]
    assert run(["git", "show", "main:feature.txt"], repo).stdout == "done\n"
    held.unlink()

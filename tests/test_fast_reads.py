"""The fast read path: `bd ready --json` and `bd list --json` on a current cache answer
exactly what the full command answers, without loading click or pygit2 (nor anything but
sqlite3 and three small modules), and what holds beads back follows every write."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from beads import Ledger, blocking
from beads.cache import cache_path

PROBE = """
import sys
sys.argv = ["bd", *sys.argv[1:]]
from beads.cli.entry import main
try:
    main()
finally:
    print("click" in sys.modules, "pygit2" in sys.modules, file=sys.stderr)
"""
IMPORTS = """
import sys
before = set(sys.modules)
sys.argv = ["bd", "ready", "--json"]
from beads.cli.entry import main
main()
print(" ".join(sorted(set(sys.modules) - before)), file=sys.stderr)
"""
# What the fast path must not load: each costs more than the query it serves.
HEAVY = ("typing", "pathlib", "dataclasses", "inspect", "re", "json", "orjson", "click",
         "pygit2", "beads.query", "beads.cache", "beads.model", "beads.cli.error_handler")
FULL = "import sys; sys.argv = ['bd', *sys.argv[1:]]; from beads.cli.main import main; main()"


def run(repo: Path, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], cwd=repo, capture_output=True,
                          text=True)


@pytest.mark.parametrize("args", [("ready", "--json"), ("list", "--json"),
                                  ("ready", "--json", "-n", "2"), ("list", "--limit=1", "--json")])
def test_fast_path_matches_the_full_command(ledger: Ledger, repo: Path,
                                            args: tuple[str, ...]) -> None:
    blocker = ledger.create("Blocker", priority=0)
    ledger.create("Blocked", deps=[("blocks", blocker["id"])])
    for n in range(3):
        ledger.create(f"Work {n}", priority=n)
    ledger.db()
    fast = run(repo, PROBE, *args)
    full = run(repo, FULL, *args)
    assert fast.returncode == full.returncode == 0
    assert fast.stdout == full.stdout
    assert fast.stderr.strip() == "False False"


def varied_ledger(ledger: Ledger) -> None:
    """Beads of every kind `ready` tells apart: held by each rule, deferred, machinery,
    ephemeral, closed, in progress, and plain work at several priorities."""
    gate = ledger.create("Gate", priority=1)
    ledger.create("Held by gate", deps=[("blocks", gate["id"])])
    attempt = ledger.create("Attempt", priority=2)
    ledger.create("Fallback", deps=[("conditional-blocks", attempt["id"])])
    epic = ledger.create("Epic", issue_type="epic", deps=[("blocks", gate["id"])])
    child = ledger.create("Child of held epic", parent=epic["id"])
    ledger.create("Grandchild", parent=child["id"])
    fan = ledger.create("Fan-out", issue_type="epic")
    ledger.create("Fan child", parent=fan["id"])
    ledger.create("Join", deps=[("waits-for", fan["id"])])
    ledger.create("Deferred", defer_until="2999-01-01T00:00:00Z")
    ledger.create("Was deferred", defer_until="2001-01-01T00:00:00Z", priority=0)
    ledger.create("A message", issue_type="message", priority=0)
    ledger.create("A wisp", ephemeral=True, priority=0)
    done = ledger.create("Done", priority=0)
    ledger.close([done["id"]], reason="finished")
    ledger.update(ledger.create("Doing")["id"], {"status": "in_progress"})
    for n in range(12):
        ledger.create(f"Work {n}", priority=n % 5)  # more ready beads than the default limit


@pytest.mark.parametrize("args", [("ready", "--json"), ("--sandbox", "ready", "--json"),
                                  ("ready", "--json", "-n", "50"), ("list", "--json"),
                                  ("list", "--json", "--tree=false", "-n", "5")])
def test_fast_path_matches_the_full_command_on_every_kind_of_bead(
        ledger: Ledger, repo: Path, args: tuple[str, ...]) -> None:
    varied_ledger(ledger)
    ledger.db()
    fast = run(repo, PROBE, *args)
    full = run(repo, FULL, *args)
    assert fast.returncode == full.returncode == 0
    assert fast.stdout == full.stdout
    assert fast.stderr.strip() == "False False"
    if "50" in args:
        titles = {bead["title"] for bead in json.loads(fast.stdout)}
        assert {"Gate", "Attempt", "Was deferred", "Fan child", "Work 0"} <= titles
        assert not titles & {"Held by gate", "Fallback", "Epic", "Child of held epic",
                             "Grandchild", "Join", "Deferred", "A message", "A wisp", "Done",
                             "Doing"}


def test_the_fast_path_loads_only_sqlite_and_its_own_modules(ledger: Ledger,
                                                             repo: Path) -> None:
    ledger.create("One")
    ledger.db()
    done = run(repo, IMPORTS)
    assert done.returncode == 0 and json.loads(done.stdout)[0]["title"] == "One"
    loaded = set(done.stderr.split())
    assert {"sqlite3", "beads.cli.fast", "beads.readsql"} <= loaded
    assert not loaded & set(HEAVY)


def ready_titles(repo: Path) -> list[str]:
    done = run(repo, PROBE, "ready", "--json", "-n", "100")
    assert done.returncode == 0, done.stderr
    return sorted(bead["title"] for bead in json.loads(done.stdout))


def test_what_holds_beads_back_follows_every_write(ledger: Ledger, repo: Path) -> None:
    """The stored reasons are recomputed in every cache transaction: by this process's
    writes (the cache moved along) and by a refresh after another writer moved the ref."""
    gate = ledger.create("Gate")
    work = ledger.create("Work", deps=[("blocks", gate["id"])])
    epic = ledger.create("Epic", issue_type="epic")
    child = ledger.create("Child", parent=epic["id"])
    ledger.dep_add(epic["id"], gate["id"])
    assert ready_titles(repo) == ["Gate"]
    ledger.close([gate["id"]])
    assert ready_titles(repo) == ["Child", "Epic", "Work"]
    Ledger(repo, actor="bob").reopen([gate["id"]])  # another writer: a refresh from the diff
    assert ready_titles(repo) == ["Gate"]
    ledger.dep_remove(epic["id"], gate["id"])
    ledger.update(work["id"], {"status": "closed"})
    assert ready_titles(repo) == ["Child", "Epic", "Gate"]
    wisp_blocker = ledger.create("Wisp blocker", ephemeral=True)
    ledger.dep_add(child["id"], wisp_blocker["id"])
    assert ready_titles(repo) == ["Epic", "Gate"]
    db = sqlite3.connect(cache_path(repo / ".git" / "beads"))
    assert blocking.stored(db) == blocking.compute(db)
    assert blocking.stored(db, child["id"]) == {child["id"]: [(wisp_blocker["id"], "blocks")]}


def test_a_stale_cache_or_other_flags_take_the_full_path(ledger: Ledger, repo: Path) -> None:
    ledger.create("One")
    ledger.db()
    other = run(repo, PROBE, "ready", "--json", "--sort", "oldest")
    assert other.returncode == 0 and other.stderr.strip() == "True False"
    Ledger(repo, actor="bob").create("Two")  # moves the ref; this process's cache is current
    (repo / ".git" / "beads" / "cache.sqlite").unlink()
    stale = run(repo, PROBE, "list", "--json")
    assert stale.returncode == 0 and "Two" in stale.stdout
    assert stale.stderr.strip() == "True True"

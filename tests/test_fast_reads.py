"""The fast read path: `bd ready --json` and `bd list --json` on a current cache answer
exactly what the full command answers, without loading click or pygit2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from beads import Ledger

PROBE = """
import sys
sys.argv = ["bd", *sys.argv[1:]]
from beads.cli.entry import main
try:
    main()
finally:
    print("click" in sys.modules, "pygit2" in sys.modules, file=sys.stderr)
"""
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

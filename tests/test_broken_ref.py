"""A ledger ref that names no commit is a broken ledger, never an empty one: every command
says so, names the ref, gives the command that restores it, and exits non-zero."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from beads import Ledger
from tests.conftest import bd_run, git, run_bd

# The fast read path (`ready`/`list --json`) runs as a real process; the rest in-process.
FAST = [("list", "--json"), ("ready", "--json")]
COMMANDS = [
    ("list",), ("ready",), ("show", "gt-one"), ("create", "New"),
    ("update", "gt-one", "--title", "x"), ("close", "gt-one"),
    ("dep", "add", "gt-one", "gt-two"), ("verify",), ("export",), ("sync",),
    ("init", "--prefix", "gt"),
]


@pytest.fixture
def ledger_repo(repo: Path, tmp_path: Path) -> tuple[Path, str]:
    """A ledger with two beads, a remote holding it, and its tip."""
    ledger = Ledger.init(repo, "gt", actor="alice")
    ledger.create("One", bead_id="gt-one")
    ledger.create("Two", bead_id="gt-two")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "beads")
    assert run_bd(repo, "list", check=True).returncode == 0  # the cache is current
    return repo, git(repo, "rev-parse", "beads").strip()


def break_ref(repo: Path, kind: str, good: str) -> str:
    """Point refs/heads/beads at a `kind` of non-commit; returns what the ref file holds."""
    values = {
        "tree": lambda: git(repo, "rev-parse", f"{good}^{{tree}}").strip(),
        "blob": lambda: git(repo, "rev-parse", "main:README").strip(),
        "tag": lambda: (git(repo, "tag", "-a", "-m", "t", "ledger-tag", good),
                        git(repo, "rev-parse", "ledger-tag").strip())[1],
        "missing": lambda: "1234567890" * 4,
        "garbage": lambda: "not an id \x1b[31m; rm -rf /",
    }
    value = values[kind]()
    (repo / ".git" / "refs" / "heads" / "beads").write_text(value + "\n")
    return value


def restore_command(message: str) -> str:
    commands = re.findall(r"`([^`]*git update-ref[^`]*)`", message)
    assert len(commands) == 1, message
    return commands[0]


@pytest.mark.parametrize("kind", ["tree", "blob", "tag", "missing", "garbage"])
def test_every_command_says_the_ledger_ref_is_broken_and_how_to_restore_it(
        ledger_repo: tuple[Path, str], kind: str) -> None:
    repo, good = ledger_repo
    break_ref(repo, kind, good)
    for args in FAST + COMMANDS:
        result = run_bd(repo, *args) if args in FAST else bd_run(repo, *args)
        where = f"bd {' '.join(args)} with a {kind}"
        assert result.returncode == 1, where
        assert result.stdout == "", where
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, where
        assert "\x1b" not in result.stderr, where
        assert "the ledger ref refs/heads/beads is broken" in result.stderr, where
        assert f"git update-ref refs/heads/beads {good}" in result.stderr, where
    as_json = run_bd(repo, "list", "--json")
    assert json.loads(as_json.stderr)["code"] == "broken_ledger_ref"
    subprocess.run(restore_command(as_json.stderr), shell=True, cwd=repo, check=True)
    listed = json.loads(run_bd(repo, "list", "--json", check=True).stdout)
    assert {b["id"] for b in listed} == {"gt-one", "gt-two"}
    assert run_bd(repo, "verify").returncode == 0


@pytest.mark.parametrize("kind", ["tree", "garbage"])
def test_without_a_reflog_the_remotes_copy_is_suggested(
        ledger_repo: tuple[Path, str], kind: str) -> None:
    repo, good = ledger_repo
    git(repo, "fetch", "-q", "origin", "+refs/heads/beads:refs/remotes/origin/beads")
    shutil.rmtree(repo / ".git" / "logs")
    break_ref(repo, kind, good)
    result = bd_run(repo, "show", "gt-one")
    assert result.returncode == 1
    command = restore_command(result.stderr)
    assert command.endswith("git update-ref refs/heads/beads refs/remotes/origin/beads")
    subprocess.run(command, shell=True, cwd=repo, check=True)
    assert bd_run(repo, "show", "gt-one").returncode == 0


def test_with_nothing_to_restore_from_the_message_still_says_what_to_do(
        ledger_repo: tuple[Path, str]) -> None:
    repo, good = ledger_repo
    shutil.rmtree(repo / ".git" / "logs")
    git(repo, "update-ref", "-d", "refs/remotes/origin/beads")
    break_ref(repo, "blob", good)
    result = bd_run(repo, "create", "New")
    assert result.returncode == 1 and "it names a blob" in result.stderr
    assert "git update-ref refs/heads/beads <commit>" in result.stderr

"""The `bd` entry point and its global options: the installed script, `python -m beads`,
BD_ACTOR, and --json given before the command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.bd_helpers import invoke, new, ok
from tests.conftest import git, run_bd, tip


def test_installed_entry_point(repo: Path) -> None:
    bd = Path(sys.executable).with_name("bd")
    assert bd.is_file(), "the `bd` console script is installed next to the interpreter"

    def run(*args: str) -> str:
        return subprocess.run([str(bd), *args], cwd=repo, check=True, capture_output=True,
                              text=True).stdout

    shown = run("--help")
    for command in ("init", "create", "show", "list", "update", "close", "reopen", "delete",
                    "ready", "blocked", "dep", "label", "comment", "search", "stats",
                    "history", "verify", "export", "import", "config", "cache", "wisp",
                    "promote"):
        assert f"\n  {command} " in shown, command
    assert run("--version").startswith("bd, version ")
    assert json.loads(run("init", "--prefix", "gt", "--json"))["tip"] == tip(repo)


def test_python_module_and_bd_actor(repo: Path) -> None:
    run_bd(repo, "init", "--prefix", "gt", check=True)
    created = json.loads(run_bd(repo, "create", "Via env", "--json", actor="carol",
                                check=True).stdout)
    assert created["created_by"] == "carol"
    assert git(repo, "log", "-1", "--format=%an", "beads").strip() == "carol"


def test_global_json_flag(bd_repo: Path) -> None:
    bead = new(bd_repo, "Global")
    shown = json.loads(ok(bd_repo, "--json", "show", bead).stdout)
    assert shown["id"] == bead and shown["schema_version"] == 1
    result = invoke(bd_repo, "--json", "show", "gt-zzzz")
    assert result.exit_code == 1 and json.loads(result.stderr)["code"] == "not_found"

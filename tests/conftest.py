"""Shared fixtures: real git repositories in temporary directories, and the `bd` command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from beads import Ledger
from beads.cli.main import cli
from tests.bd_helpers import ok

# Real data that nobody on this project wrote, kept beside the checkout (in CI), never in it.
FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(),
    reason="../shared/fixtures absent: real Beads data lives beside the project's CI, "
           "not in the repository")
BD = [sys.executable, "-m", "beads"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first (in their order): run in parallel, the long ones then start at once
    beside the many short ones, instead of trailing alone at the end of the run."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user config leaks in: a fixed identity, no BD_ACTOR, a private HOME."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Person")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Person")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.com")
    for name in ("BD_ACTOR", "BEADS_DIR", "GIT_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh git repository with one commit on main."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Test Person")
    git(path, "config", "user.email", "test@example.com")
    (path / "README").write_text("hello\n")
    git(path, "add", "README")
    git(path, "commit", "-q", "-m", "initial")
    return path


@pytest.fixture
def ledger(repo: Path) -> Iterator[Ledger]:
    yield Ledger.init(repo, "gt", actor="alice")


@pytest.fixture
def bd_repo(repo: Path) -> Path:
    """A repository with a `gt` ledger made by `bd init`."""
    ok(repo, "init", "--prefix", "gt")
    return repo


def bd_run(repo: Path, *args: str, stdin: str | None = None,
           actor: str = "alice") -> subprocess.CompletedProcess[str]:
    """`bd ARGS` in-process through click's CliRunner (fast); shaped like a process result."""
    result = CliRunner().invoke(cli, ["-C", str(repo), "--actor", actor, *args], input=stdin,
                                catch_exceptions=False)
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout,
                                       result.stderr)


def tip(repo: Path) -> str:
    return git(repo, "rev-parse", "refs/heads/beads").strip()


def run_bd(cwd: Path, *args: str, stdin: str | None = None, actor: str = "alice",
           check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `bd` as a real subprocess in `cwd`."""
    env = {**os.environ, "BD_ACTOR": actor}
    result = subprocess.run([*BD, *args], cwd=cwd, input=stdin, capture_output=True,
                            text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"bd {' '.join(args)} failed: {result.stderr}")
    return result

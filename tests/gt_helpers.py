"""Helpers for gt tests: a sample project repository and running `gt` as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

GT = [sys.executable, "-m", "gt"]
BD = [sys.executable, "-m", "beads"]


def make_project(path: Path) -> Path:
    """A small git repository with one commit on main."""
    path.mkdir(parents=True)
    (path / "app.py").write_text("VALUE = 1\n")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "initial"], cwd=path, check=True)
    return path


def make_town(base: Path, source: Path | None = None) -> Path:
    """A town (sessions as processes) at `base/town` with the rig `proj` (prefix pj)."""
    root = base / "town"
    gt(base, "install", str(root), "--no-tmux")
    gt(root, "rig", "add", "proj", str(source or make_project(base / "proj")), "--prefix", "pj")
    return root


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=full,
                            timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def gt(cwd: Path, *args: str, env: dict[str, str] | None = None,
       check: bool = True) -> subprocess.CompletedProcess[str]:
    return run([*GT, *args], cwd, env, check)


def bd(cwd: Path, *args: str, env: dict[str, str] | None = None,
       check: bool = True) -> subprocess.CompletedProcess[str]:
    return run([*BD, *args], cwd, env, check)


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll until `predicate()` holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")

"""git's own lock files (`*.lock` beside an index, a ref, packed-refs, config) that a killed
git process left behind: git refuses every later write of that file while one is there. A
lock is stale on two signals, never one: it is older than a limit (git holds one for
milliseconds), and no process has it open (read from `/proc`). Where `/proc` cannot be read
the second signal is unknown, and nothing is judged stale."""

from __future__ import annotations

import os
import time
from pathlib import Path

TOP_LEVEL = ("index.lock", "HEAD.lock", "config.lock", "shallow.lock")


def ref_locks(git_dir: Path) -> list[Path]:
    """The locks of the ref store: a ref's own, and packed-refs'. git holds one only between
    a transaction's prepare and its commit, with no hook of gt's in between."""
    found = [git_dir / "packed-refs.lock"]
    for folder, _dirs, files in os.walk(git_dir / "refs"):
        found += [Path(folder) / name for name in files if name.endswith(".lock")]
    return found


def all_locks(git_dir: Path) -> list[Path]:
    """Every lock git may leave: the ref store's, and an index's, HEAD's, the config's. An
    index lock outlives its file handle while `git commit <paths>` runs the pre-commit hook,
    however long that takes, so only a person judges one (`gt doctor --fix`)."""
    found = ref_locks(git_dir) + [git_dir / name for name in TOP_LEVEL]
    worktrees = git_dir / "worktrees"
    if worktrees.is_dir():
        found += [entry / "index.lock" for entry in worktrees.iterdir()]
    return found


def old(paths: list[Path], older_than: float) -> dict[Path, float]:
    """Those of `paths` that exist and were untouched for `older_than` seconds, with their
    age."""
    now = time.time()
    ages = {}
    for path in paths:
        try:
            age = now - path.stat().st_mtime
        except OSError:
            continue
        if age > older_than:
            ages[path] = round(age, 1)
    return ages


def holders(paths: list[Path]) -> dict[Path, list[int]] | None:
    """The pids that have each of `paths` open (an empty list: none), or None where this
    system does not say (no `/proc`)."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return None
    wanted = {os.path.realpath(path): path for path in paths}
    held: dict[Path, list[int]] = {path: [] for path in paths}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:  # gone, or not ours to read
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target in wanted:
                held[wanted[target]].append(int(entry.name))
    return held


def stale(paths: list[Path], older_than: float) -> dict[Path, float]:
    """Those of `paths` that are old and open in no process, with their age."""
    ages = old(paths, older_than)
    held = holders(list(ages)) if ages else {}
    if held is None:
        return {}
    return {path: age for path, age in ages.items() if not held[path]}

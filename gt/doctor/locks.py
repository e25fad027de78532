"""Stale locks: git's own `*.lock` files (an index, a ref, packed-refs, config) left behind
by a killed process, which make every later write fail. gt's and bd's lock files are
`flock`s, released when their process dies: a left-over file of theirs is never stale."""

from __future__ import annotations

import os
import time
from pathlib import Path

from gt import githooks
from gt.doctor.finding import Finding, Options, ok, problem
from gt.town import Town

TOP_LEVEL = ("index.lock", "packed-refs.lock", "HEAD.lock", "config.lock", "shallow.lock")


def stale(git_dir: Path, older_than: float) -> list[Path]:
    """git lock files under `git_dir` untouched for `older_than` seconds."""
    now = time.time()
    found = [git_dir / name for name in TOP_LEVEL]
    for folder, _dirs, files in os.walk(git_dir / "refs"):
        found += [Path(folder) / name for name in files if name.endswith(".lock")]
    worktrees = git_dir / "worktrees"
    if worktrees.is_dir():
        found += [entry / "index.lock" for entry in worktrees.iterdir()]
    out = []
    for path in found:
        try:
            if now - path.stat().st_mtime > older_than:
                out.append(path)
        except OSError:
            continue
    return out


def check(town: Town, options: Options) -> list[Finding]:
    found = []
    for git_dir in githooks.town_git_dirs(town):
        name = "town" if git_dir == town.root / ".git" else git_dir.parent.name
        locks = stale(git_dir, options.stale_lock_seconds)
        for path in locks:
            def remove(path: Path = path) -> str:
                path.unlink(missing_ok=True)
                return f"removed {path}"

            minutes = int(options.stale_lock_seconds // 60)
            found.append(problem("stale locks", name, f"{path.relative_to(git_dir)} is older "
                                 f"than {minutes} min: git refuses writes while it is there",
                                 "remove it (no git process is using it)", remove))
        if not locks:
            found.append(ok("stale locks", name, "none"))
    return found

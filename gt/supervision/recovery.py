"""Saving a worktree's work before anything removes it: uncommitted changes (untracked files
included) and commits not yet on the default branch or in a merge request are saved as one
commit on `refs/gt/recovery/<agent>/<time>` in the rig's shared repository, without touching
the worktree, its index or its branch."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from gt.agents import Address
from gt.git import GT_IDENTITY, git, out


@dataclass(frozen=True)
class Unsaved:
    """What removing a worktree would lose: changed paths, and commits nowhere else."""

    changes: list[str]
    commits: list[str]

    @property
    def any(self) -> bool:
        return bool(self.changes or self.commits)


def unsaved(worktree: Path) -> Unsaved:
    """Uncommitted changes (untracked included), and commits reachable from HEAD but from no
    other branch, merge request, remote or recovery ref."""
    if not (worktree / ".git").exists():
        return Unsaved([], [])
    status = out("status", "--porcelain", "--untracked-files=all", cwd=worktree)
    changes = [line[3:] for line in status.splitlines() if line.strip()]
    head = git("rev-parse", "-q", "--verify", "HEAD", cwd=worktree, check=False).stdout.strip()
    if not head:
        return Unsaved(changes, [])
    current = git("symbolic-ref", "-q", "HEAD", cwd=worktree, check=False).stdout.strip()
    # --exclude before --branches matches names under refs/heads/
    excludes = [f"--exclude={current.removeprefix('refs/heads/')}"] if current else []
    listed = git("rev-list", head, "--not", *excludes, "--branches", "--glob=refs/mr/*",
                 "--glob=refs/gt/recovery/*", "--remotes", cwd=worktree, check=False)
    return Unsaved(changes, listed.stdout.split())


def save(worktree: Path, address: Address, reason: str) -> str | None:
    """Save the worktree's unsaved work to a recovery ref; returns the ref, None if nothing
    was unsaved."""
    head = git("rev-parse", "-q", "--verify", "HEAD", cwd=worktree, check=False).stdout.strip()
    found = unsaved(worktree)
    if not found.any or not head:
        return None
    with tempfile.TemporaryDirectory() as scratch:
        index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        git("read-tree", head, cwd=worktree, env=index)
        git("add", "-A", cwd=worktree, env=index)
        tree = git("write-tree", cwd=worktree, env=index).stdout.strip()
    message = f"recovery of {address}: {reason}\n\nchanged: {', '.join(found.changes[:50])}\n" \
              f"unmerged commits: {len(found.commits)}\n"
    commit = git("commit-tree", tree, "-p", head, "-m", message, cwd=worktree,
                 env=GT_IDENTITY).stdout.strip()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}"
    ref = f"refs/gt/recovery/{address}/{stamp}"
    git("update-ref", ref, commit, cwd=worktree)
    return ref

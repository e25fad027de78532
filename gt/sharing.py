"""A town shared through a git remote: joining it from another machine, and keeping its main
branch (town.toml, routes) and its rigs in step with the other machines.

`gt install <dir> --remote <url>` joins when the remote's main branch holds a town: it clones
the town, takes the remote's ledger as its own (never a second root), and clones every rig
the town names. `gt sync` then moves main only by fast-forward, either way (a plain push,
never forced), and clones any rig another machine added since.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from beads import gitrun
from gt.errors import GtError
from gt.git import git, track_remote
from gt.town import TOWN_FILE, Town


def holds_town(remote: str) -> bool:
    """Whether the remote has a main branch (a town published there)."""
    listed = git("ls-remote", "--heads", remote, "main", check=False)
    if listed.returncode != 0:
        raise GtError(f"cannot reach {remote}: {_reason(listed)}")
    return bool(listed.stdout.strip())


def join(root: Path, remote: str) -> Town:
    """This machine's clone of the town published at `remote`, with its rigs."""
    git("clone", "-q", "--branch", "main", remote, str(root))
    if not (root / TOWN_FILE).is_file():
        shutil.rmtree(root, ignore_errors=True)
        raise GtError(f"{remote} holds a main branch that is not a town (no {TOWN_FILE})")
    published = git("rev-parse", "-q", "--verify", "refs/remotes/origin/beads", cwd=root,
                    check=False)
    if published.returncode == 0:
        git("update-ref", "refs/heads/beads", published.stdout.strip(), cwd=root)
    track_remote(root / ".git", "origin")
    town = Town(root)
    town.settle()
    materialize_missing(town)
    return town


def materialize_missing(town: Town) -> list[str]:
    """Clone here every rig the town names that this machine does not have; their names."""
    from gt.rig import Rig, rigs

    missing = [rig.name for rig in rigs(town, everywhere=True) if not rig.present]
    for name in missing:
        Rig.materialize(town, name)
    return missing


def sync_main(town: Town, remote: str) -> str:
    """Bring the town's main branch in step with the remote's by fast-forward, either way."""
    root = town.root
    branch = git("symbolic-ref", "--short", "HEAD", cwd=root, check=False).stdout.strip()
    if not branch:
        return "not on a branch: main not synced"
    fetched = git("fetch", "-q", remote, cwd=root, check=False)
    if fetched.returncode != 0:
        return f"fetch failed: {_reason(fetched)}"
    theirs = git("rev-parse", "-q", "--verify", f"refs/remotes/{remote}/{branch}", cwd=root,
                 check=False).stdout.strip()
    ours = git("rev-parse", "HEAD", cwd=root).stdout.strip()
    if theirs == ours:
        return "up to date"
    if theirs and _ancestor(root, ours, theirs):
        merged = git("merge", "-q", "--ff-only", theirs, cwd=root, check=False)
        if merged.returncode != 0:
            return f"not fast-forwarded: {_reason(merged)}"
        return "fast-forwarded"
    if not theirs or _ancestor(root, theirs, ours):
        pushed = git("push", "-q", remote, f"{branch}:refs/heads/{branch}", cwd=root,
                     check=False)
        if pushed.returncode != 0:
            return f"push refused: {_reason(pushed)}"
        return "pushed"
    return f"diverged from {remote}/{branch}: merge it with git, then sync"


def _ancestor(root: Path, older: str, newer: str) -> bool:
    return git("merge-base", "--is-ancestor", older, newer, cwd=root,
               check=False).returncode == 0


def _reason(result: subprocess.CompletedProcess[str]) -> str:
    """git's own first line of complaint, without its `fatal:`/`error:` tag."""
    return re.sub(r"^(fatal|error): ", "", gitrun.error_line(result))

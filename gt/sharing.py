"""`gt sync`: a town shared through git remotes kept in step with the other machines.

Every ledger of the town (the town's and each rig's) is fetched, merged and pushed with its
remote (`beads.sync`), and agents that lost a claimed bead in the merge are told; the town's
main branch (town.toml, routes) moves only by fast-forward, either way (a plain push, never
forced). Cloning the rigs another machine added is set-up's part (`gt.setup.town`).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beads import gitrun
from beads.errors import BeadsError
from beads.sync import sync as sync_ledger
from gt.git import git, track_remote
from gt.reactor.scan import ledgers
from gt.town import Town
from gt.work import claims


@dataclass
class Synced:
    """What `sync` did: the town as it is now (re-read when main moved), what became of its
    main branch (None when the town has no such remote), and one report per ledger."""

    town: Town
    main: str | None
    ledgers: list[dict[str, Any]] = field(default_factory=list)


def sync(town: Town, remote: str) -> Synced:
    """Sync the town's main branch, then every ledger that has the remote."""
    main_state = None
    if has_remote(town.root, remote):
        main_state = sync_main(town, remote)
        town = Town(town.root)
    results = []
    for ledger_ref in ledgers(town):
        if not has_remote(ledger_ref.git_dir, remote):
            results.append({"ledger": ledger_ref.name, "action": f"no remote {remote!r}"})
            continue
        track_remote(ledger_ref.git_dir, remote)
        try:
            ledger = town.open_ledger(ledger_ref.git_dir, "gt")
            report = sync_ledger(ledger, remote).to_dict()
            report["unhooked"] = claims.reconcile(town, ledger)
        except BeadsError as exc:
            report = {"action": "failed", "error": exc.message}
        results.append({"ledger": ledger_ref.name, **report})
    return Synced(town, main_state, results)


def has_remote(git_dir: Path, remote: str) -> bool:
    return git("remote", "get-url", remote, cwd=git_dir, check=False).returncode == 0


def sync_main(town: Town, remote: str) -> str:
    """Bring the town's main branch in step with the remote's by fast-forward, either way."""
    root = town.root
    branch = git("symbolic-ref", "--short", "HEAD", cwd=root, check=False).stdout.strip()
    if not branch:
        return "not on a branch: main not synced"
    fetched = git("fetch", "-q", remote, cwd=root, check=False)
    if fetched.returncode != 0:
        return f"fetch failed: {git_reason(fetched)}"
    theirs = git("rev-parse", "-q", "--verify", f"refs/remotes/{remote}/{branch}", cwd=root,
                 check=False).stdout.strip()
    ours = git("rev-parse", "HEAD", cwd=root).stdout.strip()
    if theirs == ours:
        return "up to date"
    if theirs and _ancestor(root, ours, theirs):
        merged = git("merge", "-q", "--ff-only", theirs, cwd=root, check=False)
        if merged.returncode != 0:
            return f"not fast-forwarded: {git_reason(merged)}"
        return "fast-forwarded"
    if not theirs or _ancestor(root, theirs, ours):
        pushed = git("push", "-q", remote, f"{branch}:refs/heads/{branch}", cwd=root,
                     check=False)
        if pushed.returncode != 0:
            return f"push refused: {git_reason(pushed)}"
        return "pushed"
    return f"diverged from {remote}/{branch}: merge it with git, then sync"


def _ancestor(root: Path, older: str, newer: str) -> bool:
    return git("merge-base", "--is-ancestor", older, newer, cwd=root,
               check=False).returncode == 0


def git_reason(result: subprocess.CompletedProcess[str]) -> str:
    """git's own first line of complaint, without its `fatal:`/`error:` tag."""
    return re.sub(r"^(fatal|error): ", "", gitrun.error_line(result))

"""Adding a rig to the town (`gt rig add`), cloning on this machine a rig another machine
added, and removing one (`gt rig remove`)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from beads import Ledger
from beads.gitdir import LEDGER_MARKER
from gt import githooks
from gt.agents import NAME_RE, Address, ensure_agent
from gt.errors import GtError
from gt.git import git, track_remote
from gt.reactor.state import start_cursors
from gt.rig import REPO_DIR, Rig
from gt.settings import RigSettings
from gt.town import Town


def add(town: Town, name: str, source: str, prefix: str | None = None,
        branch: str | None = None) -> Rig:
    """Clone `source` as the rig `name`, with its ledger, Refinery worktree and agents."""
    if not NAME_RE.match(name):
        raise GtError(f"invalid rig name {name!r}: lowercase letters, digits, '-', '_'")
    if name in town.settings.rigs or (town.root / name).exists():
        raise GtError(f"a rig or directory named {name!r} already exists in this town")
    if git("ls-remote", "--heads", source, check=False).returncode != 0:
        raise GtError(f"not a git repository: {source}")
    prefix = prefix or _default_prefix(name, town)
    branch = _clone(town.root / name, source, prefix, branch)
    town.settings.rigs[name] = RigSettings(prefix=prefix, url=source, branch=branch,
                                           push=_publishable(source))
    town.set_route(prefix, f"{name}/{REPO_DIR}")
    town.save(f"gt rig add {name}")
    rig = Rig(town, name)
    _settle(rig)
    return rig


def materialize(town: Town, name: str) -> Rig:
    """Make, on this machine, the clone of a rig that the town's config names but that is
    not here (it was added on another machine sharing the town)."""
    rig = Rig(town, name)
    _clone(rig.path, rig.settings.url, rig.prefix, rig.branch)
    _settle(rig)
    return rig


def remove(rig: Rig) -> None:
    """Forget the rig: its sessions must be stopped first; its clone is deleted."""
    for worktree in rig.worktrees():
        git("worktree", "remove", "--force", str(worktree), cwd=rig.repo, check=False)
    shutil.rmtree(rig.path, ignore_errors=True)
    del rig.town.settings.rigs[rig.name]
    rig.town.set_route(rig.prefix, None)
    rig.town.save(f"gt rig remove {rig.name}")


def _settle(rig: Rig) -> None:
    ledger = rig.ledger()
    for role in ("witness", "refinery"):
        ensure_agent(ledger, Address(role, rig.name))
    start_cursors(rig.town)


def _clone(path: Path, source: str, prefix: str, branch: str | None) -> str:
    """The rig's bare clone, ledger, Refinery worktree and git hook shims at `path`; returns
    the branch. Nothing is left behind when it fails."""
    repo = path / REPO_DIR
    try:
        git("clone", "-q", "--bare", source, str(repo))
        track_remote(repo, "origin")
        branch = branch or _default_branch(repo)
        git("rev-parse", "--verify", f"refs/heads/{branch}^{{commit}}", cwd=repo)
        Ledger.init(repo, prefix, actor="gt")
        (path / LEDGER_MARKER).write_text(f"{REPO_DIR}\n")
        git("worktree", "add", "-q", "--detach", str(path / "refinery" / "rig"), branch,
            cwd=repo)
        githooks.install(repo)
    except GtError:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return branch


def _publishable(source: str) -> bool:
    """Push merged work back to the source when it is shared (a URL or a bare repository);
    a local working copy keeps its checked-out branch to itself (push is refused there)."""
    if not Path(source).exists():
        return True
    bare = git("rev-parse", "--is-bare-repository", cwd=Path(source), check=False)
    return bare.stdout.strip() == "true"


def _default_branch(repo: Path) -> str:
    head = git("symbolic-ref", "--short", "HEAD", cwd=repo, check=False).stdout.strip()
    return head or "main"


def _default_prefix(name: str, town: Town) -> str:
    taken = {r.prefix for r in town.settings.rigs.values()} | {"hq"}
    letters = re.sub(r"[^a-z0-9]", "", name.lower()) or "rig"
    if not letters[0].isalpha():
        letters = "r" + letters
    for size in range(2, len(letters) + 1):
        if letters[:size] not in taken:
            return letters[:size]
    number = 2
    while f"{letters}{number}" in taken:
        number += 1
    return f"{letters}{number}"

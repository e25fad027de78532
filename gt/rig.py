"""Rigs: a project in the town. A bare shared clone holds the rig's ledger and merge requests.

    <town>/<rig>/.repo.git       bare clone: branches, refs/heads/beads (rig beads), refs/mr/*
    <town>/<rig>/.beads-ledger   points `bd` run anywhere under the rig at .repo.git
    <town>/<rig>/refinery/rig    worktree the Refinery merges in (detached)
    <town>/<rig>/polecats/<n>/   one worktree per polecat, branch polecat/<n>/<bead>
    <town>/<rig>/crew/<n>/       long-lived named worktrees for people
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from beads import Ledger
from beads.gitdir import LEDGER_MARKER
from gt import githooks
from gt.agents import NAME_RE, Address, ensure_agent
from gt.errors import GtError
from gt.git import git, out, track_remote
from gt.town import Town

REPO_DIR = ".repo.git"


class Rig:
    def __init__(self, town: Town, name: str) -> None:
        if name not in town.config.get("rigs", {}):
            raise GtError(f"no rig named {name!r} in this town (rigs: "
                          f"{', '.join(town.rig_names()) or 'none'})")
        self.town = town
        self.name = name
        self.settings: dict[str, Any] = town.config["rigs"][name]
        self.path = town.root / name
        self.repo = self.path / REPO_DIR

    @property
    def prefix(self) -> str:
        return str(self.settings["prefix"])

    @property
    def branch(self) -> str:
        return str(self.settings.get("branch", "main"))

    @property
    def refinery_dir(self) -> Path:
        return self.path / "refinery" / "rig"

    def polecat_dir(self, name: str) -> Path:
        return self.path / "polecats" / name

    def ledger(self, actor: str | None = None) -> Ledger:
        return self.town.open_ledger(self.repo, actor)

    def gates(self) -> dict[str, str]:
        return dict(self.settings.get("gates", {}))

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def add(cls, town: Town, name: str, source: str, prefix: str | None = None,
            branch: str | None = None) -> Rig:
        if not NAME_RE.match(name):
            raise GtError(f"invalid rig name {name!r}: lowercase letters, digits, '-', '_'")
        if name in town.config.get("rigs", {}) or (town.root / name).exists():
            raise GtError(f"a rig or directory named {name!r} already exists in this town")
        if git("ls-remote", "--heads", source, check=False).returncode != 0:
            raise GtError(f"not a git repository: {source}")
        prefix = prefix or _default_prefix(name, town)
        branch = _clone(town.root / name, source, prefix, branch)
        town.config.setdefault("rigs", {})[name] = {"prefix": prefix, "url": source,
                                                    "branch": branch,
                                                    "push": _publishable(source)}
        town.set_route(prefix, f"{name}/{REPO_DIR}")
        town.save(f"gt rig add {name}")
        rig = cls(town, name)
        rig._settle()
        return rig

    @classmethod
    def materialize(cls, town: Town, name: str) -> Rig:
        """Make, on this machine, the clone of a rig that the town's config names but that is
        not here (it was added on another machine sharing the town)."""
        rig = cls(town, name)
        _clone(rig.path, str(rig.settings["url"]), rig.prefix, rig.branch)
        rig._settle()
        return rig

    @property
    def present(self) -> bool:
        return self.repo.is_dir()

    def _settle(self) -> None:
        ledger = self.ledger()
        for role in ("witness", "refinery"):
            ensure_agent(ledger, Address(role, self.name))
        from gt.reactor.run import start_cursors

        start_cursors(self.town)

    def remove(self) -> None:
        """Forget the rig: its sessions must be stopped first; its clone is deleted."""
        for worktree in self.worktrees():
            git("worktree", "remove", "--force", str(worktree), cwd=self.repo, check=False)
        shutil.rmtree(self.path, ignore_errors=True)
        del self.town.config["rigs"][self.name]
        self.town.set_route(self.prefix, None)
        self.town.save(f"gt rig remove {self.name}")

    def worktrees(self) -> list[Path]:
        listing = out("worktree", "list", "--porcelain", cwd=self.repo)
        paths = [Path(line[9:]) for line in listing.splitlines() if line.startswith("worktree ")]
        return [p for p in paths if p.resolve() != self.repo.resolve()]

    # ------------------------------------------------------------------ worktrees

    def add_worktree(self, path: Path, branch: str, start: str | None = None) -> None:
        """A fresh worktree at `path` on a new `branch` from the default branch."""
        if path.exists():
            git("worktree", "remove", "--force", str(path), cwd=self.repo, check=False)
            shutil.rmtree(path, ignore_errors=True)
        git("worktree", "prune", cwd=self.repo)
        git("worktree", "add", "-q", "-B", branch, str(path), start or self.branch,
            cwd=self.repo)

    def remove_worktree(self, path: Path) -> None:
        git("worktree", "remove", "--force", str(path), cwd=self.repo, check=False)
        shutil.rmtree(path, ignore_errors=True)
        git("worktree", "prune", cwd=self.repo)

    def crew_add(self, name: str) -> Path:
        if not NAME_RE.match(name):
            raise GtError(f"invalid crew name {name!r}")
        path = self.path / "crew" / name
        if path.exists():
            raise GtError(f"crew member {name!r} already exists in {self.name}")
        self.add_worktree(path, f"crew/{name}")
        ensure_agent(self.ledger(), Address("crew", self.name, name))
        return path

    def crew_names(self) -> list[str]:
        crew = self.path / "crew"
        return sorted(p.name for p in crew.iterdir()) if crew.is_dir() else []

    def crew_remove(self, name: str) -> None:
        path = self.path / "crew" / name
        if not path.exists():
            raise GtError(f"no crew member {name!r} in {self.name}")
        self.remove_worktree(path)


def _clone(path: Path, source: str, prefix: str, branch: str | None) -> str:
    """The rig's bare clone, ledger, Refinery worktree and hooks at `path`; returns the branch.
    Nothing is left behind when it fails."""
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
    taken = {str(r.get("prefix")) for r in town.config.get("rigs", {}).values()} | {"hq"}
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


def rigs(town: Town, everywhere: bool = False) -> list[Rig]:
    """The rigs cloned on this machine; with `everywhere`, every rig the town names (one added
    on another machine is cloned here by `gt sync`)."""
    return [rig for rig in (Rig(town, name) for name in town.rig_names())
            if everywhere or rig.present]

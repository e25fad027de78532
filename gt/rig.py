"""Rigs as data and paths: a project in the town. A bare shared clone holds the rig's ledger
and merge requests. Adding, cloning and removing a rig is set-up's job (`gt.setup.rig`).

    <town>/<rig>/.repo.git       bare clone: branches, refs/heads/beads (rig beads), refs/mr/*
    <town>/<rig>/.beads-ledger   points `bd` run anywhere under the rig at .repo.git
    <town>/<rig>/refinery/rig    worktree the Refinery merges in (detached)
    <town>/<rig>/polecats/<n>/   one worktree per polecat, branch polecat/<n>/<bead>
    <town>/<rig>/crew/<n>/       long-lived named worktrees for people
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from gt.agents import NAME_RE, Address, ensure_agent
from gt.errors import GtError
from gt.git import git, out
from gt.settings import RigSettings
from gt.town import Town

if TYPE_CHECKING:
    from beads.ledger import Ledger

REPO_DIR = ".repo.git"


class Rig:
    def __init__(self, town: Town, name: str) -> None:
        if name not in town.settings.rigs:
            raise GtError(f"no rig named {name!r} in this town (rigs: "
                          f"{', '.join(town.rig_names()) or 'none'})")
        self.town = town
        self.name = name
        self.settings: RigSettings = town.settings.rigs[name]
        self.path = town.root / name
        self.repo = self.path / REPO_DIR

    @property
    def prefix(self) -> str:
        return self.settings.prefix

    @property
    def branch(self) -> str:
        return self.settings.branch

    @property
    def refinery_dir(self) -> Path:
        return self.path / "refinery" / "rig"

    def polecat_dir(self, name: str) -> Path:
        return self.path / "polecats" / name

    def ledger(self, actor: str | None = None) -> Ledger:
        return self.town.open_ledger(self.repo, actor)

    def ledger_sound(self) -> bool:
        """Whether the rig's ledger ref is absent or names a commit (`beads.ledgerref`)."""
        import pygit2  # late: the fast read paths never load it

        from beads import ledgerref
        from beads.ledgerref import BrokenLedgerRef

        try:
            ledgerref.tip(pygit2.Repository(str(self.repo)))
        except (BrokenLedgerRef, pygit2.GitError):
            return False
        return True

    def gates(self) -> dict[str, str]:
        return dict(self.settings.gates)

    @property
    def present(self) -> bool:
        return self.repo.is_dir()

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


def rigs(town: Town, everywhere: bool = False) -> list[Rig]:
    """The rigs cloned on this machine; with `everywhere`, every rig the town names (one added
    on another machine is cloned here by `gt sync`)."""
    return [rig for rig in (Rig(town, name) for name in town.rig_names())
            if everywhere or rig.present]


def rigs_readable(town: Town) -> list[Rig]:
    """The rigs cloned here whose ledger ref is sound. The passes over every rig's ledger
    (supervision, the queue, capacity) read these, so one broken ledger, which the reactor
    reports (`gt.reactor.scan.Tips`), does not stop the others'."""
    return [rig for rig in rigs(town) if rig.ledger_sound()]

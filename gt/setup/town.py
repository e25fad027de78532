"""Making this machine's town: a new one (`gt install <dir>`), or a clone of a town shared
through a git remote (`gt install <dir> --remote <url>` when the remote holds one).

Joining clones the town, takes the remote's ledger as its own (never a second root), and
clones every rig the town names; `gt sync` later clones the rigs other machines add
(`materialize_missing`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from beads import Ledger
from beads.gitdir import ROUTES_FILE
from beads.model import check_utf8
from gt import githooks, settings
from gt.agents import Address, ensure_agent
from gt.errors import GtError
from gt.git import commit_all, git, track_remote
from gt.reactor.state import start_cursors
from gt.rig import rigs
from gt.setup import rig as rig_setup
from gt.sharing import git_reason
from gt.town import TOWN_FILE, TOWN_PREFIX, Town

GITIGNORE = "# rigs' clones, worktrees and sandboxes are local to each machine\n" \
            "*/.repo.git/\n*/refinery/\n*/polecats/\n*/crew/\n"


def install(path: Path, name: str | None = None, remote: str | None = None,
            no_tmux: bool = False) -> Town:
    """Make a town at `path` (an existing town is left as it is), tracking `remote` as its
    origin when given; when the remote already holds a town, join it instead. With
    `no_tmux`, the town runs its agents as plain processes."""
    town = _install(path, name, remote)
    if no_tmux and town.settings.sessions != "process":
        town.settings.sessions = "process"
        town.save("gt install: run agents as processes")
    return town


def _install(path: Path, name: str | None, remote: str | None) -> Town:
    root = path.resolve()
    if (root / TOWN_FILE).is_file() and (root / ".git").exists():
        town = Town(root)
        settle(town)
        set_origin(town, remote)
        return town
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise GtError(f"refusing to install a town in {root}: the directory is not empty "
                      "and is not a town")
    check_utf8(name or root.name, "the town's name")
    if remote is not None and holds_town(remote):
        return join(root, remote)
    root.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "-b", "main", str(root))
    settings.save(settings.TownSettings(name=name or root.name), root / TOWN_FILE)
    (root / ".gitignore").write_text(GITIGNORE)
    (root / ROUTES_FILE).write_text(json.dumps({TOWN_PREFIX: "."}, indent=2) + "\n")
    for agent_dir in ("mayor", "deacon"):
        (root / agent_dir).mkdir(exist_ok=True)
        (root / agent_dir / ".gitkeep").touch()
    commit_all(root, "gt install: new town")
    town = Town(root)
    settle(town)
    set_origin(town, remote)
    return town


def settle(town: Town) -> None:
    """The town's ledger, its own agents, the reactor's cursors and the git hook shims, made
    where missing."""
    ledger = Ledger.init(town.root, TOWN_PREFIX, actor="gt")
    for role in ("mayor", "deacon"):
        ensure_agent(ledger, Address(role))
    start_cursors(town)
    githooks.install(town.root / ".git")


def set_origin(town: Town, url: str | None) -> None:
    """Track `url` as the town's origin (a plain `git fetch` brings its ledger)."""
    if url is None:
        return
    known = git("remote", "get-url", "origin", cwd=town.root, check=False)
    if known.returncode != 0:
        git("remote", "add", "origin", url, cwd=town.root)
    elif known.stdout.strip() != url:
        git("remote", "set-url", "origin", url, cwd=town.root)
    track_remote(town.root / ".git", "origin")


def holds_town(remote: str) -> bool:
    """Whether the remote has a main branch (a town published there)."""
    listed = git("ls-remote", "--heads", remote, "main", check=False)
    if listed.returncode != 0:
        raise GtError(f"cannot reach {remote}: {git_reason(listed)}")
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
    settle(town)
    materialize_missing(town)
    return town


def materialize_missing(town: Town) -> list[str]:
    """Clone here every rig the town names that this machine does not have; their names."""
    missing = [rig.name for rig in rigs(town, everywhere=True) if not rig.present]
    for name in missing:
        rig_setup.materialize(town, name)
    return missing

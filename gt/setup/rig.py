"""Adding a rig to the town (`gt rig add`), cloning on this machine a rig another machine
added, and removing one (`gt rig remove`)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from beads import Ledger
from beads.gitdir import LEDGER_MARKER, ROUTES_FILE
from beads.ids import check_prefix
from gt import githooks
from gt.agents import NAME_RE, Address, ensure_agent
from gt.errors import GtError
from gt.git import git, track_remote
from gt.reactor.state import start_cursors
from gt.rig import REPO_DIR, Rig
from gt.settings import RigSettings
from gt.town import TOWN_PREFIX, Town


def add(town: Town, name: str, source: str, prefix: str | None = None,
        branch: str | None = None) -> Rig:
    """Clone `source` as the rig `name`, with its ledger, Refinery worktree and agents.

    Everything is checked before anything is written (the name, the prefix and who has it,
    the source); a step that fails after that undoes the ones before it, so a refused or
    failed add leaves no clone, route, settings change or commit behind."""
    if not NAME_RE.match(name):
        raise GtError(f"invalid rig name {name!r}: lowercase letters, digits, '-', '_'")
    if name in town.settings.rigs or (town.root / name).exists():
        raise GtError(f"a rig or directory named {name!r} already exists in this town")
    owners = _prefix_owners(town)
    if prefix is not None:
        check_prefix(prefix)
        if prefix in owners:
            raise GtError(f"prefix {prefix!r} is taken by {owners[prefix]}: choose another "
                          "with --prefix")
    if source.startswith("-") or \
            git("ls-remote", "--heads", "--", source, check=False).returncode != 0:
        raise GtError(f"not a git repository: {source}")
    prefix = prefix or _default_prefix(name, owners)
    kept = {path: path.read_bytes() if path.exists() else None
            for path in (town.settings_file, town.root / ROUTES_FILE)}
    try:
        branch = _clone(town.root / name, source, prefix, branch)
        town.settings.rigs[name] = RigSettings(prefix=prefix, url=source, branch=branch,
                                               push=_publishable(source))
        town.set_route(prefix, f"{name}/{REPO_DIR}")
        rig = Rig(town, name)
        _add_agents(rig)
        town.save(f"gt rig add {name}")
    except BaseException:
        _undo_add(town, name, kept)
        raise
    start_cursors(town)
    return rig


def _prefix_owners(town: Town) -> dict[str, str]:
    """Every bead-id prefix in use in the town, with who has it: the town's own ledger, a
    rig, or a ledger the town's routes name."""
    owners = {town_route: f"the ledger at {target}"
              for town_route, target in town.routes().items()}
    owners.update({rig.prefix: f"the rig {rig_name!r}"
                   for rig_name, rig in town.settings.rigs.items()})
    owners[TOWN_PREFIX] = "the town's own ledger"
    return owners


def _undo_add(town: Town, name: str, kept: dict[Path, bytes | None]) -> None:
    """Put back what a failed `add` changed: the clone, the settings and the route."""
    shutil.rmtree(town.root / name, ignore_errors=True)
    town.settings.rigs.pop(name, None)
    for path, data in kept.items():
        if data is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(data)
    # a commit that failed may have left the files staged
    git("reset", "-q", "--", *(str(path) for path in kept), cwd=town.root, check=False)
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
    _add_agents(rig)
    start_cursors(rig.town)


def _add_agents(rig: Rig) -> None:
    ledger = rig.ledger()
    for role in ("witness", "refinery"):
        ensure_agent(ledger, Address(role, rig.name))


def _clone(path: Path, source: str, prefix: str, branch: str | None) -> str:
    """The rig's bare clone, ledger, Refinery worktree and git hook shims at `path`; returns
    the branch. Nothing is left behind when it fails."""
    repo = path / REPO_DIR
    try:
        git("clone", "-q", "--bare", "--", source, str(repo))
        track_remote(repo, "origin")
        branch = branch or _default_branch(repo)
        if git("rev-parse", "--verify", "-q", f"refs/heads/{branch}^{{commit}}", cwd=repo,
               check=False).returncode != 0:
            raise GtError(f"{source} has no branch {branch!r} to work on")
        Ledger.init(repo, prefix, actor="gt")
        (path / LEDGER_MARKER).write_text(f"{REPO_DIR}\n")
        git("worktree", "add", "-q", "--detach", str(path / "refinery" / "rig"), branch,
            cwd=repo)
        githooks.install(repo)
    except BaseException:
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


def _default_prefix(name: str, taken: dict[str, str]) -> str:
    letters = re.sub(r"[^a-z0-9]", "", name.lower())[:12] or "rig"
    if not letters[0].isalpha():
        letters = "r" + letters
    for size in range(2, len(letters) + 1):
        if letters[:size] not in taken:
            return letters[:size]
    number = 2
    while f"{letters}{number}" in taken:
        number += 1
    return f"{letters}{number}"

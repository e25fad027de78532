"""Adopting a remote's ledger: a clone whose remote has a `beads` branch takes it as its own.

`git clone` brings the remote's ledger in as `refs/remotes/<remote>/beads` and creates no
local `refs/heads/beads`; without adoption such a clone looks empty, `bd sync` has no
ledger to push, and `bd init` would make a second root. So every `bd` command, once it knows
its repository, calls `adopt`: when the local ledger ref is missing and a configured remote
has a remote-tracking ledger (`origin` preferred among several; several without it are
refused, naming them), the local ref is created at that commit, as `git switch beads` does
for a branch that exists only on a remote (with the same upstream configuration), and the
merge driver `bd init` registers is registered too (`beads.mergedriver`).

Cost: one ref read when the ledger is there (nothing beyond the standard library is
imported). Git runs, and pygit2 loads, only when the local ref is missing and a
remote-tracking `beads` ref exists.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from beads import gitdir
from beads.errors import InvalidInput, NotInitialized, StorageError

if TYPE_CHECKING:
    import subprocess

REMOTES = "refs/remotes/"
BRANCH = gitdir.BEADS_REF.removeprefix("refs/heads/")
PREFERRED_REMOTE = "origin"


def _git(dirs: gitdir.GitDirs, *args: str) -> subprocess.CompletedProcess[str]:
    import subprocess  # only on the rare path that adopts: read commands start faster

    return subprocess.run(["git", "--git-dir", str(dirs.common_dir), *args],
                          capture_output=True, text=True)


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stderr.strip().splitlines() or ["?"])[-1]


def _tracking_names(common_dir: Path) -> set[str]:
    """Every `refs/remotes/<name>/beads` ref, loose or packed, as `<name>` (no git run)."""
    names = set()
    top = common_dir / "refs" / "remotes"
    for folder, _dirs, files in os.walk(top):
        if BRANCH in files:
            names.add(Path(folder).relative_to(top).as_posix())
    try:
        with open(common_dir / "packed-refs", encoding="utf-8", errors="replace") as packed:
            for line in packed:
                ref = line.rstrip("\n").partition(" ")[2]
                if ref.startswith(REMOTES) and ref.endswith("/" + BRANCH):
                    names.add(ref[len(REMOTES):-len(BRANCH) - 1])
    except FileNotFoundError:
        pass
    names.discard(".")
    return names


def remote_ledgers(dirs: gitdir.GitDirs) -> list[str]:
    """The configured remotes that have a remote-tracking ledger ref, sorted."""
    candidates = _tracking_names(dirs.common_dir)
    if not candidates:
        return []
    listed = _git(dirs, "remote")
    return sorted(candidates & set(listed.stdout.split()))


def _choose(remotes: list[str], prefer: str) -> str:
    if len(remotes) == 1:
        return remotes[0]
    for name in (prefer, PREFERRED_REMOTE):
        if name in remotes:
            return name
    raise InvalidInput(f"no local ledger, and several remotes have one ({', '.join(remotes)}): "
                       f"adopt one with `git branch --track {BRANCH} <remote>/{BRANCH}`")


def adopt(dirs: gitdir.GitDirs, prefer: str = PREFERRED_REMOTE) -> str | None:
    """Make a remote's ledger this repository's when it has none (see the module); a line
    saying what was done, or None when nothing was."""
    if gitdir.read_ref(dirs.common_dir) is not None:
        return None
    remotes = remote_ledgers(dirs)
    if not remotes:
        return None
    remote = _choose(remotes, prefer)
    tracking = f"{REMOTES}{remote}/{BRANCH}"
    commit = gitdir.read_ref(dirs.common_dir, tracking)
    if commit is None:
        return None
    created = _git(dirs, "update-ref", "-m", f"bd: adopt {remote}'s ledger",
                   gitdir.BEADS_REF, commit, "")
    if created.returncode != 0:
        if gitdir.read_ref(dirs.common_dir) is not None:
            return None  # another command adopted it meanwhile
        raise StorageError(f"cannot adopt {tracking}: {_last_line(created)}")
    for key, value in (("remote", remote), ("merge", gitdir.BEADS_REF)):
        _git(dirs, "config", f"branch.{BRANCH}.{key}", value)
    from beads import mergedriver

    mergedriver.install(dirs.common_dir)
    return (f"adopted {remote}'s ledger: {gitdir.BEADS_REF} created at {commit[:10]} "
            f"from {tracking}")


def adopt_and_say(dirs: gitdir.GitDirs, prefer: str = PREFERRED_REMOTE) -> gitdir.GitDirs:
    """`adopt`, saying on stderr what it did; `dirs` back, for the caller's convenience."""
    said = adopt(dirs, prefer)
    if said:
        print(f"bd: {said}", file=sys.stderr, flush=True)
    return dirs


def fetch_remote_ledger(dirs: gitdir.GitDirs, remote: str) -> None:
    """Fetch `remote`'s ledger into its remote-tracking ref and adopt it, for `bd sync` in a
    repository that has no ledger yet; a remote without one is refused."""
    tracking = f"{REMOTES}{remote}/{BRANCH}"
    fetched = _git(dirs, "fetch", "-q", remote, f"+{gitdir.BEADS_REF}:{tracking}")
    if fetched.returncode != 0:
        if "couldn't find remote ref" in fetched.stderr:
            raise NotInitialized(f"no ledger here and none on {remote}: run "
                                 "`bd init --prefix <prefix>` first")
        raise StorageError(f"git fetch {remote} failed: {_last_line(fetched)}")
    adopt_and_say(dirs, prefer=remote)

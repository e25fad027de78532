"""gt's git: `git()`, a thin layer on the shared runner `beads.gitrun` that reports its
failures as GtError, and the git chores of gt's own (commits as gt, remote tracking).

gt runs every git command through the shared runner: through `git()` here, except the git
hook code (`gt.githooks`), which calls `beads.gitrun.run` itself to keep a hook's own
environment where it asks about the hook's repository. So no git command of gt's uses a
shell, every one has a timeout, and none inherits git's location variables by accident.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from beads import gitrun
from beads.events import one_line
from gt.errors import GtError

# Identity for commits gt makes itself (town config, merges); agents commit as themselves.
GT_IDENTITY = {"GIT_AUTHOR_NAME": "gt", "GIT_AUTHOR_EMAIL": "gt@gastown.local",
               "GIT_COMMITTER_NAME": "gt", "GIT_COMMITTER_EMAIL": "gt@gastown.local"}


def git(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None,
        check: bool = True, timeout: float = gitrun.TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run `git args...` (`beads.gitrun.run`); a failure, with `check`, or a timeout raises
    GtError with git's first line of complaint."""
    try:
        return gitrun.run(args, cwd=cwd, env=env, check=check, timeout=timeout)
    except gitrun.GitError as error:
        raise GtError(error.message) from None


def out(*args: str, cwd: Path | None = None) -> str:
    """The stripped output of `git args...`."""
    return git(*args, cwd=cwd).stdout.strip()


def commit_all(cwd: Path, message: str) -> bool:
    """Stage everything and commit as gt, the message on one line (control characters
    folded); False when there was nothing to commit."""
    git("add", "-A", cwd=cwd)
    if git("diff", "--cached", "--quiet", cwd=cwd, check=False).returncode == 0:
        return False
    git("commit", "-q", "-m", one_line(message), cwd=cwd, env=GT_IDENTITY)
    return True


def track_remote(git_dir: Path, remote: str) -> None:
    """Make a plain `git fetch <remote>` bring its branches (the ledger's `beads` among them)
    and its merge requests into `refs/remotes/<remote>/` (idempotent)."""
    wanted = (f"+refs/heads/*:refs/remotes/{remote}/*", f"+refs/mr/*:refs/remotes/{remote}/mr/*")
    present = git("config", "--get-all", f"remote.{remote}.fetch", cwd=git_dir,
                  check=False).stdout.split()
    for refspec in wanted:
        if refspec not in present:
            git("config", "--add", f"remote.{remote}.fetch", refspec, cwd=git_dir)

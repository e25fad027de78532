"""Running the git command: the one place gt shells out to git (argv only, never a shell)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gt.errors import GtError

# Identity for commits gt makes itself (town config, merges); agents commit as themselves.
GT_IDENTITY = {"GIT_AUTHOR_NAME": "gt", "GIT_AUTHOR_EMAIL": "gt@gastown.local",
               "GIT_COMMITTER_NAME": "gt", "GIT_COMMITTER_EMAIL": "gt@gastown.local"}


def git(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
        check: bool = True, timeout: float | None = 120) -> subprocess.CompletedProcess[str]:
    """Run `git args...`; on failure raise GtError with git's own last line of complaint."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("GIT_DIR", None)
    result = subprocess.run(["git", *args], cwd=cwd, env=full_env, capture_output=True,
                            text=True, timeout=timeout)
    if check and result.returncode != 0:
        lines = [x for x in (result.stderr or result.stdout).strip().splitlines() if x.strip()]
        reason = lines[-1] if lines else f"exit status {result.returncode}"
        raise GtError(f"git {args[0]} failed: {reason}")
    return result


def out(*args: str, cwd: Path | None = None) -> str:
    return git(*args, cwd=cwd).stdout.strip()


def commit_all(cwd: Path, message: str) -> bool:
    """Stage everything and commit as gt; False when there was nothing to commit."""
    git("add", "-A", cwd=cwd)
    if git("diff", "--cached", "--quiet", cwd=cwd, check=False).returncode == 0:
        return False
    git("commit", "-q", "-m", message, cwd=cwd, env=GT_IDENTITY)
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

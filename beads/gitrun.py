"""Running the git command: the one runner of both packages (argv only, never a shell).

Every call has a timeout; a command that outlives it, or a git that cannot be started, is a
one-line `GitError`, never a traceback. A failure (with `check`) is reported as
`git <subcommand> failed: <git's first error line>`.

git exports variables that locate a repository (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE, and
during a push GIT_QUARANTINE_PATH, GIT_OBJECT_DIRECTORY ...) into the hooks it runs, and a
command started with them would act on the hook's repository, not the one it names. So, as
pre-commit does, a command gets the caller's environment less every GIT_* variable except
those in `KEPT` / `KEPT_PREFIXES`: the author and committer identity, the user's own
configuration, how to reach remotes, and tracing. Code that runs in a git hook *about the
hook's repository* passes `inside_hook=True` and keeps git's environment whole (a
pre-receive hook sees the pushed objects only through the quarantine variables).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from beads.errors import StorageError

TIMEOUT = 120.0  # seconds: the limit of any git command unless the caller gives another
REMOTE_TIMEOUT = 600.0  # a fetch or push of a whole ledger over a slow link

KEPT = frozenset({
    "GIT_EXEC_PATH", "GIT_TEMPLATE_DIR",
    "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_COUNT",
    "GIT_ASKPASS", "GIT_TERMINAL_PROMPT", "GIT_ALLOW_PROTOCOL", "GIT_PROTOCOL_FROM_USER",
    "GIT_PROXY_COMMAND", "GIT_SSL_CAINFO", "GIT_SSL_CAPATH", "GIT_SSL_NO_VERIFY",
})
KEPT_PREFIXES = ("GIT_AUTHOR_", "GIT_COMMITTER_", "GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_",
                 "GIT_SSH", "GIT_HTTP_", "GIT_TRACE")


class GitError(StorageError):
    """A git command failed, timed out or could not start; the message is one line."""


def clean_env(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` less the GIT_* variables a command must not inherit (see the module doc)."""
    return {name: value for name, value in environ.items()
            if not name.startswith("GIT_") or name in KEPT or name.startswith(KEPT_PREFIXES)}


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """git's first line of complaint: its first `fatal:`/`error:` line, else the first line
    it printed (stderr, else stdout), else the exit status."""
    text = (result.stderr or result.stdout or "").encode("utf-8", "surrogateescape")
    lines = [x.strip() for x in text.decode("utf-8", "replace").splitlines() if x.strip()]
    tagged = [x for x in lines if x.startswith(("fatal:", "error:"))]
    return (tagged or lines or [f"exit status {result.returncode}"])[0]


def run(args: Sequence[str], *, cwd: Path | str | None = None, git_dir: Path | None = None,
        env: Mapping[str, str] | None = None, check: bool = True, timeout: float = TIMEOUT,
        inside_hook: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `git [--git-dir git_dir] args...` in `cwd` and capture its output as text.

    `env` is added after the cleaning, so a caller can still set any variable on purpose.
    With `check`, a non-zero exit raises GitError; a timeout or a git that cannot be started
    always does.
    """
    argv = ["git", *(("--git-dir", str(git_dir)) if git_dir is not None else ()), *args]
    base = dict(os.environ) if inside_hook else clean_env(os.environ)
    try:
        result = subprocess.run(argv, cwd=cwd, env={**base, **(env or {})},
                                capture_output=True, encoding="utf-8",
                                errors="surrogateescape",  # paths round-trip; error_line cleans
                                timeout=timeout)
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} timed out after {timeout:g} s") from None
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        raise GitError(f"cannot run git {args[0]}: {error.strerror or error}{where}") from None
    if check and result.returncode != 0:
        raise GitError(f"git {args[0]} failed: {error_line(result)}")
    return result

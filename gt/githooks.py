"""Git hook shims: git tells gt when refs move, by appending a line to a "poke" file.

The shims are tiny sh scripts, installed into a repository's hooks directory (`git rev-parse
--git-path hooks`, so core.hooksPath is respected) from their templates: the `githooks/`
directory at the top of the source tree, which ships as the `githooks` package's data and is
read with importlib.resources (so an install from a wheel, a `--user` one or an editable one
all find them):

    reference-transaction   after a committed ref transaction naming refs under refs/
    post-receive            after a push into the repository (a rig's bare clone)

Each shim first runs the hook it replaced (kept beside it as `<hook>.gt-chained`) with the
same arguments and stdin and keeps that hook's exit status, then runs `gt _hook <hook> args`
with GT_HOOK_ACTIVE=1, which appends one line to `<common git dir>/beads/reactor.poke`:

    <unix time> <hook> <ref> <ref> ...

The reactor watches that file. gt's part never fails a git command: `gt _hook` exits 0 and
prints at most one line, and the shim survives a missing interpreter or gt.

This module is also the shims' fast entry point (`python -P -m gt.githooks _hook <hook>
args`): it imports nothing of gt beyond itself and its errors, and of beads only the git
runner, so a commit pays for a bare interpreter start, not for loading the whole `gt`
command. "hook" alone, elsewhere in gt, means an agent's work; here it is always git's.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from beads import gitrun
from gt.errors import GtError

if TYPE_CHECKING:
    from gt.town import Town

GIT_HOOKS = ("reference-transaction", "post-receive")
# A shared remote that others push to: validate ledger pushes, wake watching reactors.
REMOTE_GIT_HOOKS = ("pre-receive", "post-receive")
MARKER = "# gastown-py hook shim: managed by gt hooks; do not edit"
CHAINED_SUFFIX = ".gt-chained"
PYTHON_PLACEHOLDER = "@GT_PYTHON@"
POKE_FILE = "reactor.poke"
TEMPLATES_PACKAGE = "githooks"  # the top-level `githooks/` directory, shipped as a package
MAX_REFS = 100  # per poke line; more are counted as "+<n>"

# Hook states reported by status().
INSTALLED, CHAINED, FOREIGN, ABSENT = "installed", "chained", "foreign", "absent"


# ---------------------------------------------------------------------- installing


def git_hooks_dir(git_dir: Path) -> Path:
    """The directory git runs `git_dir`'s hooks from (honours core.hooksPath)."""
    # Ask from where git runs the hooks (a relative core.hooksPath is relative to that):
    # the work tree of a `.git` directory, else the (bare) git dir itself.
    cwd = git_dir.parent if git_dir.name == ".git" else git_dir
    try:
        result = gitrun.run(("rev-parse", "--path-format=absolute", "--git-path", "hooks"),
                            cwd=cwd, check=False, timeout=30)
    except gitrun.GitError as error:
        raise GtError(error.message) from None
    if result.returncode != 0:
        raise GtError(f"not a git directory: {git_dir} ({gitrun.error_line(result)})")
    return Path(result.stdout.strip())


def is_shim(path: Path) -> bool:
    """Whether the file at `path` is one of our shims (by its marker line)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return MARKER.encode() in head


def render(git_hook: str, python: str | None = None) -> str:
    """The shim for `git_hook`, running gt with `python` (default: this interpreter)."""
    from importlib import resources  # here, not above: the hook's fast path never renders

    try:
        template = resources.files(TEMPLATES_PACKAGE).joinpath(git_hook).read_text()
    except (OSError, ImportError) as error:
        raise GtError(f"the {git_hook} shim template is missing: {error}") from None
    return template.replace(PYTHON_PLACEHOLDER, shlex.quote(python or sys.executable))


def install(git_dir: Path, python: str | None = None,
            names: tuple[str, ...] = GIT_HOOKS) -> list[str]:
    """Install the shims into `git_dir`'s hooks directory; idempotent. Returns what was done.

    An existing hook that is not ours is moved to `<hook>.gt-chained` and keeps running.
    """
    directory = git_hooks_dir(git_dir)
    directory.mkdir(parents=True, exist_ok=True)
    done = []
    for git_hook in names:
        path = directory / git_hook
        chained = directory / (git_hook + CHAINED_SUFFIX)
        # rendered before touching anything: a missing template changes nothing
        text = render(git_hook, python)
        if chained.is_file() and is_shim(chained):
            chained.unlink()  # a shim must never chain to a shim
        note = ""
        if path.exists() or path.is_symlink():
            if not is_shim(path):
                if chained.exists() or chained.is_symlink():
                    raise GtError(f"cannot install the {git_hook} hook in {directory}: both "
                                  f"{git_hook} and {chained.name} exist; move one of them aside")
                path.rename(chained)
                note = f" (the existing hook runs first, kept as {chained.name})"
            elif path.is_symlink():
                path.unlink()
        previous = path.read_text(errors="replace") if path.is_file() else None
        if previous != text:
            tmp = directory / f".{git_hook}.gt-tmp"
            tmp.write_text(text)
            tmp.chmod(0o755)
            tmp.replace(path)
        else:
            path.chmod(0o755)
        state = "unchanged" if previous == text else "updated" if previous else "installed"
        done.append(f"{git_hook}: {state} in {directory}{note}")
    return done


def uninstall(git_dir: Path, names: tuple[str, ...] = GIT_HOOKS) -> list[str]:
    """Remove our shims from `git_dir`'s hooks and put chained hooks back under their name."""
    directory = git_hooks_dir(git_dir)
    done = []
    for git_hook in names:
        path = directory / git_hook
        chained = directory / (git_hook + CHAINED_SUFFIX)
        ours = path.is_file() and is_shim(path)
        has_chained = chained.exists() or chained.is_symlink()
        if ours:
            path.unlink()
        if has_chained and not (path.exists() or path.is_symlink()):
            chained.rename(path)
            done.append(f"{git_hook}: {'removed; ' if ours else ''}restored the original hook")
        elif has_chained:
            done.append(f"{git_hook}: left alone ({git_hook} is not ours; {chained.name} kept)")
        elif ours:
            done.append(f"{git_hook}: removed")
    return done


def status(git_dir: Path, names: tuple[str, ...] = GIT_HOOKS) -> dict[str, str]:
    """Each hook's state: installed (ours), chained (ours, running a kept hook first),
    foreign (someone else's hook, not ours) or absent."""
    directory = git_hooks_dir(git_dir)
    states = {}
    for git_hook in names:
        path = directory / git_hook
        if not (path.exists() or path.is_symlink()):
            states[git_hook] = ABSENT
        elif not is_shim(path):
            states[git_hook] = FOREIGN
        elif (directory / (git_hook + CHAINED_SUFFIX)).exists():
            states[git_hook] = CHAINED
        else:
            states[git_hook] = INSTALLED
    return states


def town_git_dirs(town: Town) -> list[Path]:
    """The town's .git and every rig's bare clone (.repo.git)."""
    from gt.rig import rigs

    return [town.root / ".git", *(r.repo for r in rigs(town))]


# ---------------------------------------------------------------------- the poke


def poke_path(common_dir: Path) -> Path:
    """The file the shims append to, which the reactor watches."""
    return common_dir / "beads" / POKE_FILE


def poke(common_dir: Path, git_hook: str, refs: Sequence[str]) -> Path:
    """Append `<unix time> <hook> <refs...>` to the poke file (one write, O_APPEND)."""
    names = list(dict.fromkeys(refs))
    extra = [f"+{len(names) - MAX_REFS}"] if len(names) > MAX_REFS else []
    line = " ".join([f"{time.time():.3f}", git_hook, *names[:MAX_REFS], *extra]) + "\n"
    path = poke_path(common_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
    return path


def moved_refs(git_hook: str, args: Sequence[str], data: str) -> list[str]:
    """The refs under refs/ that a hook's input names, when gt should hear of them."""
    if git_hook == "reference-transaction" and (not args or args[0] != "committed"):
        return []
    if git_hook not in GIT_HOOKS:
        return []
    refs = []
    for line in data.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2].startswith("refs/"):
            refs.append(fields[2])
    return refs


def common_git_dir() -> Path:
    """The common git dir of the repository the hook runs in (GIT_DIR, else the cwd)."""
    return Path(gitrun.run(("rev-parse", "--path-format=absolute", "--git-common-dir"),
                           timeout=30, inside_hook=True).stdout.strip())


def run_git_hook(git_hook: str, args: Sequence[str], data: str | None = None) -> None:
    """What `gt _hook` does: poke the reactor if refs moved. Never raises; quiet but for
    at most one line on stderr when something went wrong."""
    try:
        if data is None:
            data = sys.stdin.buffer.read().decode("utf-8", errors="replace")
        refs = moved_refs(git_hook, args, data)
        if refs:
            common = common_git_dir()
            poke(common, git_hook, refs)
            if "refs/heads/beads" in refs:  # and Beads' tools watching .beads (beads.watchhook)
                from beads.workspace import touch

                touch(common / "beads")
    except BaseException as error:  # a hook must never fail git, whatever happened
        if isinstance(error, KeyboardInterrupt | SystemExit):
            return
        message = " ".join(str(error).split()) or type(error).__name__
        with contextlib.suppress(Exception):
            sys.stderr.write(f"gt _hook {git_hook}: {message[:300]}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m gt.githooks _hook <hook> [args...]`: the shims' fast path to run_git_hook."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["_hook"]:
        words = words[1:]
    if words:
        run_git_hook(words[0], words[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())

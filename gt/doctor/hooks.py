"""Git plumbing: the hook shims on the town and every rig (installed, or chained to the
hook they replaced), and the fetch refspecs that bring ledgers and merge requests in."""

from __future__ import annotations

from pathlib import Path

from gt import githooks
from gt.doctor.finding import Finding, Options, ok, problem
from gt.errors import GtError
from gt.git import git, track_remote
from gt.town import Town

WANTED_REFSPECS = ("+refs/heads/*:refs/remotes/{r}/*", "+refs/mr/*:refs/remotes/{r}/mr/*")


def _name(town: Town, git_dir: Path) -> str:
    return "town" if git_dir == town.root / ".git" else git_dir.parent.name


def check(town: Town, options: Options) -> list[Finding]:
    found = []
    for git_dir in githooks.town_git_dirs(town):
        name = _name(town, git_dir)
        try:
            states = githooks.status(git_dir)
        except GtError as error:
            found.append(problem("git hooks", name, error.message, "check the repository"))
            continue
        bad = {hook: state for hook, state in states.items()
               if state not in (githooks.INSTALLED, githooks.CHAINED)}
        if bad:
            listed = ", ".join(f"{hook} {state}" for hook, state in bad.items())
            found.append(problem(
                "git hooks", name, f"hook shims missing: {listed}",
                "gt hooks install (a foreign hook is kept and chained)",
                lambda git_dir=git_dir: "; ".join(githooks.install(git_dir))))
        else:
            found.append(ok("git hooks", name, ", ".join(f"{h} {s}" for h, s in states.items())))
        found += _refspecs(name, git_dir)
    return found


def _refspecs(name: str, git_dir: Path) -> list[Finding]:
    remotes = git("remote", cwd=git_dir, check=False).stdout.split()
    found = []
    for remote in remotes:
        present = git("config", "--get-all", f"remote.{remote}.fetch", cwd=git_dir,
                      check=False).stdout.split()
        missing = [spec.format(r=remote) for spec in WANTED_REFSPECS
                   if spec.format(r=remote) not in present]
        subject = f"{name} remote {remote}"
        if missing:
            found.append(problem(
                "fetch refspecs", subject, f"a plain fetch misses {', '.join(missing)}",
                f"gt sync --remote {remote}",
                lambda remote=remote: (track_remote(git_dir, remote)
                                       or f"added the fetch refspecs of {remote}")))
        else:
            found.append(ok("fetch refspecs", subject, "ledger and merge requests fetched"))
    return found

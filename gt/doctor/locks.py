"""Stale locks: git's own `*.lock` files left behind by a killed process, which make every
later write fail (`gt.gitlocks` says when one is stale). gt's and bd's lock files are
`flock`s, released when their process dies: a left-over file of theirs is never stale."""

from __future__ import annotations

from pathlib import Path

from gt import githooks, gitlocks
from gt.doctor.finding import Finding, Options, ok, problem
from gt.town import Town


def check(town: Town, options: Options) -> list[Finding]:
    found = []
    for git_dir in githooks.town_git_dirs(town):
        name = "town" if git_dir == town.root / ".git" else git_dir.parent.name
        ages = gitlocks.old(gitlocks.all_locks(git_dir), options.stale_lock_seconds)
        held = gitlocks.holders(list(ages)) if ages else {}
        minutes = int(options.stale_lock_seconds // 60)
        for path in ages:
            def remove(path: Path = path) -> str:
                path.unlink(missing_ok=True)
                return f"removed {path}"

            what = f"{path.relative_to(git_dir)} is older than {minutes} min"
            if held is not None and held[path]:
                pids = ", ".join(str(pid) for pid in held[path])
                found.append(problem("stale locks", name, f"{what}, held open by pid {pids}",
                                     "see what that process is doing before removing it"))
                continue
            unheld = "" if held is None else ", open in no process"
            found.append(problem("stale locks", name, f"{what}{unheld}: git refuses writes "
                                 "while it is there", "remove it", remove))
        if not ages:
            found.append(ok("stale locks", name, "none"))
    return found

"""What the runtime's hooks do beyond priming: the end of a turn and the guard before a tool.

End of a turn (Claude Code's Stop hook, Codex's `notify`): nudges queued while the agent was
busy are typed now that it is idle, one per idle moment, by a detached process (the hook
itself runs before the screen shows idle); and a polecat that ends its turn with work still
on its hook, without `gt done`, is reminded once per hook (Claude Code: the hook blocks the
stop with the reminder as its reason; Codex: the reminder is nudged), then left to
supervision.

Before a tool (Claude Code's PreToolUse, Bash only): a polecat may not push to its rig's
default branch, nor run `gt done` outside its worktree. A refusal is Claude Code's JSON
`permissionDecision: "deny"` with the reason, which the model is shown.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from gt.agents import Address
from gt.rig import Rig
from gt.town import Town
from gt.work.nudge import pending_typed
from gt.work.sling import hooked

# `git [options] push <args>`; -C, -c, --git-dir and --work-tree take a value of their own.
PUSH = re.compile(r"(?:^|[;&|(\s])git\s+(?:(?:-[Cc]|--git-dir|--work-tree)\s+\S+\s+|-\S+\s+)*"
                  r"push\b([^;&|]*)")
DONE = re.compile(r"(?:^|[;&|(\s])gt\s+done\b")


def _reminder_mark(town: Town, address: Address, bead_id: str) -> Path:
    return town.state_dir / "reminders" / f"{address.session}.{bead_id}"


def turn_ended(town: Town, address: Address, again: bool = False) -> dict[str, Any]:
    """What the end of a turn calls for: {"deliver": bool, "remind": text or None}.
    `again`: this stop already follows a reminder (never remind twice in a row)."""
    out: dict[str, Any] = {"deliver": pending_typed(town, address) > 0, "remind": None}
    if address.role != "polecat" or again:
        return out
    bead = hooked(town, address)
    if bead is None:
        return out
    mark = _reminder_mark(town, address, bead["id"])
    if mark.exists():
        return out
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.touch()
    out["remind"] = (f"{bead['id']} ({bead['title']}) is still on your hook. Finish it: "
                     "commit your work and run `gt done`; if you cannot, run `gt done --status "
                     "escalated --reason \"...\"`.")
    return out


def _pushes_branch(arguments: str, branch: str) -> bool:
    try:
        words = shlex.split(arguments)
    except ValueError:
        words = arguments.split()
    targets = [w for w in words if not w.startswith("-")]
    refspecs = targets[1:] if len(targets) > 1 else []
    for spec in refspecs:
        destination = spec.lstrip("+").rsplit(":", 1)[-1]
        if destination in (branch, f"refs/heads/{branch}"):
            return True
    return "--all" in words or "--mirror" in words


def guard(town: Town, address: Address, tool: str, command: str, cwd: Path) -> str | None:
    """Why a polecat may not run `command` (a Bash call) in `cwd`; None when it may."""
    if address.role != "polecat" or address.rig is None or tool != "Bash":
        return None
    rig = Rig(town, address.rig)
    for match in PUSH.finditer(command):
        if _pushes_branch(match.group(1), rig.branch):
            return (f"polecats do not push to {rig.branch}: commit on your branch and run "
                    "`gt done`; the Refinery merges it")
    if DONE.search(command):
        worktree = rig.polecat_dir(str(address.name)).resolve()
        here = cwd.resolve()
        leading_cd = re.match(r"\s*cd\s+(\S+)\s*&&", command)
        if leading_cd:
            here = (here / leading_cd.group(1)).resolve()
        if here != worktree and worktree not in here.parents:
            return f"run `gt done` in your worktree ({worktree}), not in {here}"
    return None

"""The scripted runtime working a molecule: each step in turn, then `gt done`.

For each step (`gt mol current`): its script is the step bead's `metadata.script`, else the
hooked bead's `metadata.script.steps[<step id>]`, else, for the step where the hooked bead's
own work goes (`script.at_step`, by default the first step), the hooked bead's script; any
other step changes nothing. Each step is one commit (empty when it changed nothing), named
`<bead> step <id>: <title>`, then `gt mol step done`. A session killed mid-molecule and
started again resumes at the first undone step; a step whose commit was made but not yet
marked done is not done twice.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gt.git import git, out
from gt.runtimes.presets import tool_command

Perform = Callable[[Path, dict[str, Any]], None]
Say = Callable[[str], None]


def _json(argv: list[str]) -> Any:
    return json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)


def step_script(step: dict[str, Any], root: dict[str, Any], first: bool) -> dict[str, Any]:
    """What to do for `step` (see the module)."""
    bead = _json([*tool_command("bd"), "show", step["bead"], "--json"]) if step["bead"] else {}
    own = (bead.get("metadata") or {}).get("script")
    if own:
        return dict(own)
    script = (root.get("metadata") or {}).get("script") or {}
    per_step = script.get("steps") or {}
    if step["id"] in per_step:
        return dict(per_step[step["id"]])
    at = script.get("at_step")
    if (at == step["id"]) if at else first:
        return {k: v for k, v in script.items() if k in ("edits", "commands", "work_seconds")}
    return {}


def walk(gt: list[str], worktree: Path, root: dict[str, Any], perform: Perform,
         say: Say) -> int:
    """Walk the molecule rooted at the hooked bead `root`; returns the exit status."""
    while True:
        state = _json([*gt, "mol", "current", "--json"])
        step = state["current"]
        if step is None:
            if state["complete"]:
                break
            return _escalate(gt, say, "no step of my molecule can run")
        message = f"{root['id']} step {step['id']}: {step['title']}"[:200]
        if out("log", "-1", "--format=%s", cwd=worktree) == message:
            say(f"step {step['id']} was committed before the restart; marking it done")
        else:
            say(f"step {state['done'] + 1}/{state['total']}: {step['id']}")
            try:
                perform(worktree, step_script(step, root, state["done"] == 0))
            except (ValueError, KeyError, subprocess.SubprocessError, OSError) as exc:
                return _escalate(gt, say, f"step {step['id']} failed: {exc}")
            git("add", "-A", cwd=worktree)
            git("commit", "-q", "--allow-empty", "-m", message, cwd=worktree)
        subprocess.run([*gt, "mol", "step", "done", step["id"]], check=True,
                       capture_output=True)
    say("every step is done; calling gt done")
    done = subprocess.run([*gt, "done"], capture_output=True, text=True)
    say(done.stdout.strip() or done.stderr.strip())
    return done.returncode


def _escalate(gt: list[str], say: Say, reason: str) -> int:
    say(f"{reason}; escalating")
    subprocess.run([*gt, "done", "--status", "escalated", "--reason", reason], check=False)
    return 1

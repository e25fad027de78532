"""`gt agent-hook stop` and `pre-tool`, run as Claude Code runs them: a process in the agent's
directory, with GT_AGENT set and the hook's JSON on stdin.

The Stop hook reminds a polecat of work still on its hook once per hooked bead (never on a
stop that already follows a reminder); the PreToolUse guard denies a polecat's push to the
rig's default branch and `gt done` outside its worktree, and lets everything else through.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gt_helpers import GT, bd, gt, make_town

POLECAT = "proj/polecats/nux"


@pytest.fixture
def town(tmp_path: Path) -> Iterator[Path]:
    root = make_town(tmp_path)
    # A runtime that stays up like an agent waiting for input, and does nothing.
    gt(root, "config", "agent", "set", "idle", "sleep 300", "--prompt", "none")
    gt(root, "config", "default-agent", "idle")
    try:
        yield root
    finally:
        gt(root, "down", check=False)


def create(town: Path, title: str) -> str:
    return json.loads(bd(town / "proj", "create", title, "--json").stdout)["id"]


def hook(town: Path, event: str, payload: dict[str, Any], cwd: Path,
         agent: str = POLECAT) -> subprocess.CompletedProcess[str]:
    """Run `gt agent-hook <event>` the way Claude Code does."""
    body = {"session_id": "3f1c0d7e-session", "transcript_path": str(cwd / "t.jsonl"),
            "cwd": str(cwd), **payload}
    result = subprocess.run([*GT, "agent-hook", event], cwd=cwd, input=json.dumps(body),
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "GT_AGENT": agent})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result


def stop(town: Path, worktree: Path, again: bool = False) -> dict[str, Any] | None:
    out = hook(town, "stop", {"hook_event_name": "Stop", "stop_hook_active": again},
               worktree).stdout
    return json.loads(out) if out.strip() else None


def pre_tool(town: Path, cwd: Path, command: str, tool: str = "Bash",
             agent: str = POLECAT) -> str | None:
    """The reason the guard denies `command`, or None when it allows it."""
    out = hook(town, "pre-tool", {"hook_event_name": "PreToolUse", "tool_name": tool,
                                  "tool_input": {"command": command,
                                                 "description": "run it"}},
               cwd, agent).stdout
    if not out.strip():
        return None
    decision = json.loads(out)["hookSpecificOutput"]
    assert decision["hookEventName"] == "PreToolUse"
    assert decision["permissionDecision"] == "deny"
    return decision["permissionDecisionReason"]


def sling(town: Path, bead: str) -> Path:
    slung = json.loads(gt(town, "sling", bead, "proj", "--no-convoy", "--json").stdout)
    assert slung["agent"] == POLECAT, slung
    worktree = town / "proj" / "polecats" / "nux"
    assert worktree.is_dir()
    return worktree


@pytest.mark.slow
def test_stop_reminds_of_hooked_work_once_per_hook(town: Path) -> None:
    first = create(town, "First job")
    worktree = sling(town, first)

    # A stop that already follows a reminder (or Claude's own continuation) never reminds.
    assert stop(town, worktree, again=True) is None
    reminded = stop(town, worktree)
    assert reminded is not None and reminded["decision"] == "block"
    assert first in reminded["reason"] and "First job" in reminded["reason"]
    assert "gt done" in reminded["reason"]
    # Once per hook: the next stops are left to supervision.
    assert stop(town, worktree) is None
    assert stop(town, worktree) is None

    # A new bead on the hook is a new reminder, once.
    gt(town, "unsling", POLECAT)
    second = create(town, "Second job")
    gt(town, "sling", second, POLECAT, "--no-convoy")
    again = stop(town, worktree)
    assert again is not None and second in again["reason"] and first not in again["reason"]
    assert stop(town, worktree) is None


def test_stop_is_silent_without_hooked_work_or_for_other_roles(town: Path) -> None:
    worktree = sling(town, create(town, "A job"))
    gt(town, "unsling", POLECAT)
    assert stop(town, worktree) is None
    out = hook(town, "stop", {"hook_event_name": "Stop", "stop_hook_active": False},
               town / "mayor", agent="mayor").stdout
    assert out == ""


@pytest.mark.slow
def test_the_guard_denies_pushes_to_the_default_branch(town: Path) -> None:
    worktree = sling(town, create(town, "A job"))
    for command in ("git push origin main", "git push origin HEAD:main",
                    "git -C . push --force origin +polecat/nux:refs/heads/main",
                    "git status && git push origin main", "git push --all origin",
                    "cd sub; git push -f origin main"):
        reason = pre_tool(town, worktree, command)
        assert reason is not None and "main" in reason and "gt done" in reason, command
    for command in ("git push origin polecat/nux", "git push", "git status",
                    "echo 'git is pushing main'", "git commit -m 'push main later'"):
        assert pre_tool(town, worktree, command) is None, command
    # Only Bash is guarded, and only polecats.
    assert pre_tool(town, worktree, "git push origin main", tool="Read") is None
    assert pre_tool(town, town / "mayor", "git push origin main", agent="mayor") is None


def test_the_guard_denies_gt_done_outside_the_worktree(town: Path) -> None:
    worktree = sling(town, create(town, "A job"))
    (worktree / "sub").mkdir()
    assert pre_tool(town, worktree, "gt done") is None
    assert pre_tool(town, worktree / "sub", "gt done --status escalated") is None
    assert pre_tool(town, worktree, "cd sub && gt done") is None
    for cwd, command in ((town / "proj", "gt done"), (worktree, "cd .. && gt done"),
                         (town, "git add -A; gt done")):
        reason = pre_tool(town, cwd, command)
        assert reason is not None and str(worktree.resolve()) in reason, (cwd, command)


def test_hostile_or_missing_hook_input_is_allowed_quietly(town: Path) -> None:
    worktree = sling(town, create(town, "A job"))
    assert pre_tool(town, worktree, "git push origin 'main; $(rm -rf /) \x1b[2J") is None
    for stdin in ("not json", "[1, 2]", "", '{"tool_input": "git push origin main"}'):
        result = subprocess.run([*GT, "agent-hook", "pre-tool"], cwd=worktree, input=stdin,
                                capture_output=True, text=True, timeout=60,
                                env={**os.environ, "GT_AGENT": POLECAT})
        assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), stdin

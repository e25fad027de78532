"""The scripted runtime: a deterministic agent with no LLM.

It works only through the interface a real agent uses: `gt prime`, `gt hook --json`, git and
`gt done`. The hooked bead's `metadata.script` says what to do:

    {"edits": [{"op": "write"|"append"|"replace"|"insert_after", "path": "...", ...}],
     "commands": [["python", "-m", "unittest"]],     # argv lists, run in the worktree
     "work_seconds": 0.5,                             # pretend to think
     "retry": {...}}                                  # the script to use after a rejection

A bead made by the Refinery to resolve a conflict carries `metadata.resolves`: the scripted
agent redoes the original bead's script on top of the fresh default branch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from beads.events import one_line
from gt.git import git
from gt.runtimes.presets import tool_command


def say(text: str) -> None:
    print(f"[scripted {os.environ.get('GT_AGENT', '?')}] {text}", flush=True)


def run_json(argv: list[str]) -> Any:
    result = subprocess.run(argv, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def safe_path(root: Path, relative: str) -> Path:
    path = (root / relative).resolve()
    if root.resolve() not in path.parents and path != root.resolve():
        raise ValueError(f"edit outside the worktree refused: {relative!r}")
    return path


def apply_edit(root: Path, edit: dict[str, Any]) -> None:
    path = safe_path(root, edit["path"])
    op = edit.get("op", "write")
    if op == "write":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(edit["content"])
        return
    text = path.read_text() if path.exists() else ""
    if op == "append":
        text += edit["text"]
    elif op == "replace":
        if edit["old"] not in text:
            raise ValueError(f"{edit['path']}: text to replace not found")
        text = text.replace(edit["old"], edit["new"], 1)
    elif op == "insert_after":
        marker = edit["marker"]
        if marker not in text:
            raise ValueError(f"{edit['path']}: marker {marker!r} not found")
        head, _, tail = text.partition(marker)
        text = head + marker + edit["text"] + tail
    else:
        raise ValueError(f"unknown edit op {op!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def script_for(bead: dict[str, Any]) -> dict[str, Any]:
    metadata = bead.get("metadata") or {}
    original = metadata.get("resolves")
    if original:
        say(f"resolving a conflict for {original}: redoing its work on the fresh branch")
        bead = run_json([*tool_command("bd"), "show", original, "--json"])
        metadata = bead.get("metadata") or {}
    script = metadata.get("script") or {}
    if int(bead.get("rejections") or 0) > 0 and script.get("retry"):
        say("the last attempt was rejected: applying the corrected change")
        script = script["retry"]
    return script


def main() -> int:
    gt = tool_command()
    worktree = Path.cwd()
    prime = subprocess.run([*gt, "prime"], capture_output=True, text=True)
    say(f"primed ({len(prime.stdout.split())} words of context)")
    hook = run_json([*gt, "hook", "--json"])
    bead = hook.get("bead")
    if not bead:
        say("nothing on my hook; done for now")
        return 0
    say(f"working on {bead['id']}: {bead['title']!r}")
    try:
        script = script_for(bead)
        time.sleep(float(script.get("work_seconds", 0)))
        for edit in script.get("edits", []):
            apply_edit(worktree, edit)
        for argv in script.get("commands", []):
            subprocess.run(argv, cwd=worktree, check=True, timeout=300)
    except (ValueError, KeyError, subprocess.SubprocessError, OSError) as exc:
        say(f"cannot do this work: {exc}; escalating")
        subprocess.run([*gt, "done", "--status", "escalated", "--reason", str(exc)], check=False)
        return 1
    git("add", "-A", cwd=worktree)
    staged = git("diff", "--cached", "--quiet", cwd=worktree, check=False)
    if staged.returncode == 0:
        say("the script changed nothing; deferring")
        subprocess.run([*gt, "done", "--status", "deferred"], check=False)
        return 0
    # the title is data: control characters folded, as the ledger's own summaries
    message = one_line(f"{bead['id']}: {bead['title']}")
    git("commit", "-q", "-m", message, cwd=worktree)
    say("committed; calling gt done")
    done = subprocess.run([*gt, "done"], capture_output=True, text=True)
    say(done.stdout.strip() or done.stderr.strip())
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())

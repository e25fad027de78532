"""The scripted runtime: a deterministic agent with no LLM.

It works only through the interface a real agent uses: `gt prime`, `gt hook --json`, git and
`gt done`. The hooked bead's `metadata.script` says what to do:

    {"edits": [{"op": "write"|"append"|"replace"|"insert_after", "path": "...", ...}],
     "commands": [["python", "-m", "unittest"]],     # argv lists, run in the worktree
     "work_seconds": 0.5,                             # pretend to think
     "retry": {...},                                  # the script to use after a rejection
     "faults": {"crash": 3,               # exit with this status instead of finishing
                "hang": 600,              # or sleep this long, silent
                "prompt": "Allow? [y/n]", # or wait at this prompt for a line of input
                "ignore_nudges": true,    # ...and ignore every line typed (a nudge)
                "after_edits": true,      # strike after the edits (leaving work uncommitted)
                "times": 1}}              # only the first N sessions on this bead (default all)

Faults let tests make an agent crash, hang, wait at a prompt or ignore nudges.

A bead made by the Refinery to resolve a conflict carries `metadata.resolves`: the scripted
agent redoes the original bead's script on top of the fresh default branch.

Each session has an id and a transcript of what it said (`gt.runtimes.transcript`), handed
to `gt prime --hook` as Claude Code hands its SessionStart hook; `--resume <id> --ask
<question>` answers from that transcript (`gt seance --ask`).
A molecule on the hook is walked step by step (`gt.runtimes.walker`); a step of a molecule
slung on its own (a convoy's leg) with nothing to change still gets its commit.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from beads.events import one_line
from gt.git import git
from gt.runtimes import transcript
from gt.runtimes.presets import tool_command
from gt.runtimes.walker import walk

TRANSCRIPT: transcript.Transcript | None = None  # this session's, once it started


def say(text: str) -> None:
    print(f"[scripted {os.environ.get('GT_AGENT', '?')}] {text}", flush=True)
    if TRANSCRIPT is not None:
        TRANSCRIPT.write(text)


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


def _faulty(bead_id: str, faults: dict[str, Any]) -> bool:
    """Whether this session strikes: counts sessions per agent and bead under the town's
    local state when `times` is set."""
    if "times" not in faults:
        return True
    town = os.environ.get("GT_TOWN", "")
    session = os.environ.get("GT_AGENT", "agent").replace("/", "-")
    counter = Path(town) / ".git" / "gt" / "scripted" / f"{session}.{bead_id}.count"
    counter.parent.mkdir(parents=True, exist_ok=True)
    seen = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(seen + 1))
    return seen < int(faults["times"])


def strike(faults: dict[str, Any]) -> None:
    """Act out a fault: exit, hang, or wait at a prompt (forever, with ignore_nudges)."""
    if "crash" in faults:
        say(f"crashing with status {int(faults['crash'])}")
        sys.exit(int(faults["crash"]))
    if "hang" in faults:
        time.sleep(float(faults["hang"]))
    if "prompt" in faults:
        print(str(faults["prompt"]), end=" ", flush=True)
        while True:
            try:
                answer = input()
            except EOFError:
                time.sleep(3600)
                continue
            if not faults.get("ignore_nudges"):
                say(f"answered {answer[:40]!r}; going on")
                return


def ask(argv: list[str]) -> int:
    """`--resume <session id> --ask <question>`: answer from that session's transcript."""
    parser = argparse.ArgumentParser(prog="scripted")
    parser.add_argument("--resume", required=True)
    parser.add_argument("--ask", required=True)
    options = parser.parse_args(argv)
    try:
        print(transcript.answer(options.resume, options.ask))
    except (OSError, ValueError) as exc:
        print(f"scripted: no transcript of session {options.resume!r} here ({exc})",
              file=sys.stderr)
        return 1
    return 0


def perform(worktree: Path, script: dict[str, Any], bead_id: str) -> None:
    """Do a script's work in the worktree: think, edit, run its commands; act out its
    faults (before the edits, or after them with `after_edits`)."""
    faults = script.get("faults") or {}
    faulty = bool(faults) and _faulty(bead_id, faults)
    if faulty and not faults.get("after_edits"):
        strike(faults)
    time.sleep(float(script.get("work_seconds", 0)))
    for edit in script.get("edits", []):
        apply_edit(worktree, edit)
    if faulty and faults.get("after_edits"):
        strike(faults)
    for argv in script.get("commands", []):
        subprocess.run(argv, cwd=worktree, check=True, timeout=300)


def committed_before(worktree: Path, message: str) -> bool:
    """Whether HEAD is this bead's commit already: a predecessor killed between its commit
    and `gt done` left it, and the successor hands it in as a real agent reading the handoff
    note and `git log` would."""
    head = git("log", "-1", "--format=%s", cwd=worktree, check=False)
    return head.returncode == 0 and head.stdout.strip() == message


def is_molecule_step(bead: dict[str, Any]) -> bool:
    return "mol_step" in (bead.get("metadata") or {})


def main(argv: list[str] | None = None) -> int:
    global TRANSCRIPT
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        return ask(argv)
    gt = tool_command()
    worktree = Path.cwd()
    TRANSCRIPT = transcript.Transcript()
    # As Claude Code does at session start: `gt prime --hook`, with the session's id and
    # transcript on stdin, so the agent's history records the session (`gt seance`).
    prime = subprocess.run([*gt, "prime", "--hook"], capture_output=True, text=True,
                           input=json.dumps(TRANSCRIPT.hook_input()))
    say(f"primed ({len(prime.stdout.split())} words of context)")
    hook = run_json([*gt, "hook", "--json"])
    bead = hook.get("bead")
    if not bead:
        say("nothing on my hook; done for now")
        return 0
    say(f"working on {bead['id']}: {bead['title']!r}")
    if "molecule" in (bead.get("metadata") or {}):
        return walk(gt, worktree, bead,
                    lambda tree, script: perform(tree, script, bead["id"]), say)
    try:
        perform(worktree, script_for(bead), bead["id"])
    except (ValueError, KeyError, subprocess.SubprocessError, OSError) as exc:
        say(f"cannot do this work: {exc}; escalating")
        subprocess.run([*gt, "done", "--status", "escalated", "--reason", str(exc)], check=False)
        return 1
    git("add", "-A", cwd=worktree)
    staged = git("diff", "--cached", "--quiet", cwd=worktree, check=False)
    # the title is data: control characters folded, as the ledger's own summaries
    message = one_line(f"{bead['id']}: {bead['title']}")
    if staged.returncode == 0 and not is_molecule_step(bead):
        if not committed_before(worktree, message):
            say("the script changed nothing; deferring")
            subprocess.run([*gt, "done", "--status", "deferred"], check=False)
            return 0
        say("my predecessor committed this work already; calling gt done")
    else:
        git("commit", "-q", "--allow-empty", "-m", message, cwd=worktree)
        say("committed; calling gt done")
    done = subprocess.run([*gt, "done"], capture_output=True, text=True)
    say(done.stdout.strip() or done.stderr.strip())
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())

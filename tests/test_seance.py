"""Seance, for real: scripted polecats record their sessions on their bead at session start
(one event per session, not per hook call), and `gt seance --ask` puts a question to a past
session through the runtime's resume, answered from its transcript."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gt_helpers import GT, bd, gt, make_town, wait_for

NUX = "proj/polecats/nux"


@pytest.fixture
def town(tmp_path: Path) -> Path:
    return make_town(tmp_path)


def work(town: Path, title: str, path: str) -> str:
    meta = json.dumps({"script": {"edits": [{"op": "write", "path": path,
                                              "content": "done\n"}]}})
    return json.loads(bd(town / "proj", "create", title, "--metadata", meta,
                         "--json").stdout)["id"]


def mr_state(town: Path, bead: str) -> str | None:
    return json.loads(bd(town, "show", bead, "--json").stdout).get("mr_state")


def prime_hook(town: Path, payload: str, agent: str = NUX, runtime: str = "claude") -> None:
    """`gt prime --hook` as a runtime's session-start hook runs it: `payload` on stdin."""
    subprocess.run([*GT, "prime", "--hook", "--agent", agent], cwd=town, input=payload,
                   capture_output=True, text=True, check=True,
                   env={**os.environ, "GT_RUNTIME": runtime})


@pytest.mark.slow
def test_seance_lists_and_asks_the_sessions_of_a_scripted_polecat(town: Path) -> None:
    first = work(town, "Write the first file", "first.txt")
    gt(town, "sling", first, "proj", "--no-convoy")
    wait_for(lambda: mr_state(town, first) == "pending", timeout=60)
    wait_for(lambda: not json.loads(gt(town, "session", "list", "--json").stdout)["sessions"])
    second = work(town, "Write the second file", "second.txt")
    gt(town, "sling", second, NUX, "--no-convoy")
    wait_for(lambda: mr_state(town, second) == "pending", timeout=60)

    sessions = json.loads(gt(town, "seance", NUX, "--json").stdout)
    assert [s["runtime"] for s in sessions] == ["scripted", "scripted"]
    newest, oldest = sessions
    assert newest["id"] != oldest["id"] and newest["started_at"] >= oldest["started_at"]
    assert Path(oldest["transcript"]).is_file() and not newest["current"]
    listed = gt(town, "seance", NUX).stdout
    assert oldest["id"] in listed and "scripted" in listed

    # the latest predecessor by default; another with --session
    answer = json.loads(gt(town, "seance", NUX, "--ask", "Which work were you doing?",
                           "--json").stdout)
    assert answer["session"]["id"] == newest["id"]
    assert f"working on {second}" in answer["answer"] and first not in answer["answer"]
    human = gt(town, "seance", NUX, "--ask", "what were you working on",
               "--session", oldest["id"]).stdout
    assert f"working on {first}" in human and oldest["id"] in human
    unknown = gt(town, "seance", NUX, "--ask", "hello", "--session", "nope", check=False)
    assert unknown.returncode == 1 and "no recorded session 'nope'" in unknown.stderr


def test_a_session_is_recorded_once_from_the_hook_input(town: Path) -> None:
    gt(town, "crew", "add", "joe", "--rig", "proj")
    joe = "proj/crew/joe"
    assert json.loads(gt(town, "seance", joe, "--json").stdout) == []
    start = json.dumps({"session_id": "3f1c-aa", "transcript_path": "/x/3f1c.jsonl",
                        "source": "startup", "hook_event_name": "SessionStart"})
    prime_hook(town, start, joe)
    prime_hook(town, start.replace("startup", "compact"), joe)  # the same session again
    for hostile in ("--dangerous", "a b", "../../etc", "x" * 200, "\x1b[31m"):
        prime_hook(town, json.dumps({"session_id": hostile}), joe)
    prime_hook(town, "not json {", joe)
    prime_hook(town, "", joe)
    sessions = json.loads(gt(town, "seance", joe, "--json").stdout)
    assert [(s["id"], s["runtime"], s["transcript"]) for s in sessions] == \
        [("3f1c-aa", "claude", "/x/3f1c.jsonl")]
    history = json.loads(bd(town / "proj", "history", "pj-proj-crew-joe", "--json").stdout)
    assert sum(1 for e in history if "runtime_session" in json.dumps(e)) == 1


def test_asking_needs_a_runtime_that_can_answer_in_time(town: Path, tmp_path: Path) -> None:
    gt(town, "crew", "add", "joe", "--rig", "proj")
    joe = "proj/crew/joe"
    none = gt(town, "seance", joe, "--ask", "anything", check=False)
    assert none.returncode == 1 and "no predecessor session" in none.stderr
    prime_hook(town, json.dumps({"session_id": "s-1"}), joe)
    gt(town, "config", "agent", "set", "slow", "true", "--prompt", "none")
    gt(town, "config", "set", "runtimes.slow.ask",
       f"{sys.executable} -c 'import time; time.sleep(30)' {{session}} {{question}}")
    gt(town, "config", "agent", "set", "mute", "true", "--prompt", "none")
    prime_hook(town, json.dumps({"session_id": "s-3"}), joe, "slow")
    timed_out = gt(town, "seance", joe, "--ask", "are you there?", "--timeout", "1",
                   check=False)
    assert timed_out.returncode == 1 and "no answer within 1 s" in timed_out.stderr
    prime_hook(town, json.dumps({"session_id": "s-4"}), joe, "mute")
    mute = gt(town, "seance", joe, "--ask", "hello", check=False)
    assert mute.returncode == 1 and "cannot be asked" in mute.stderr
    assert len(mute.stderr.strip().splitlines()) == 1

"""Seance: an agent's past sessions, recorded on its bead, and a question put to one of them.

A runtime that reports its session (Claude Code hands its SessionStart hook a JSON object
with `session_id` and `transcript_path`; the scripted runtime does the same) gets one ledger
event per session start on the agent's bead: the field `runtime_session` set to `{id,
runtime, transcript, cwd, source, started_at, machine}`. A resumed or compacted session
keeps its id and records nothing new, so heartbeats and restarts of the hook never add
events. The bead's history is the list of sessions. Asking runs the runtime's `ask` command
(preset data: `claude --resume <id> -p <question>`, `codex exec resume <id> <question>`,
the scripted runtime's `--resume <id> --ask <question>`) in the session's directory, bounded
by a timeout, and returns what it printed.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

from beads.errors import BeadsError
from beads.model import check_utf8, now_iso
from gt.agents import Address
from gt.errors import GtError
from gt.runtimes import presets
from gt.runtimes.transcript import SESSION_ID
from gt.sessions.base import read_record, record_path
from gt.town import Town
from gt.whoami import agent_ledger, workdir

FIELD = "runtime_session"
HOOK_INPUT_LIMIT = 1 << 20
HOOK_INPUT_WAIT = 0.5


def hook_input(stream: IO[Any] | None) -> dict[str, Any]:
    """The JSON object a runtime hands its session-start hook on stdin ({} when there is
    none: a terminal, an empty or silent pipe, or text that is not a JSON object)."""
    if stream is None or stream.closed or stream.isatty():
        return {}
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return {}
    data, deadline = b"", time.monotonic() + HOOK_INPUT_WAIT
    while len(data) < HOOK_INPUT_LIMIT:
        readable, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
        if not readable:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    try:
        payload = json.loads(data.decode()) if data.strip() else {}
    except (ValueError, UnicodeDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or not value or len(value) > 4096:
        return None
    try:
        return check_utf8(value, "hook input")
    except BeadsError:
        return None


def session_record(town: Town, address: Address, agent: dict[str, Any],
                   payload: dict[str, Any], runtime: str | None) -> dict[str, Any] | None:
    """The record of a session start to set on the agent's bead, from what the runtime handed
    its session-start hook; None when the payload names no usable session id or names the
    session already recorded (a resume, a compaction)."""
    session_id = payload.get("session_id")
    if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
        return None
    if (agent.get(FIELD) or {}).get("id") == session_id:
        return None
    return {"id": session_id, "runtime": _text(runtime) or agent.get("runtime") or "unknown",
            "transcript": _text(payload.get("transcript_path")),
            "cwd": _text(payload.get("cwd")), "source": _text(payload.get("source")),
            "started_at": now_iso(), "machine": town.machine}


def sessions(town: Town, address: Address) -> list[dict[str, Any]]:
    """The agent's recorded sessions, newest first; the one running now (if any) is marked
    `current`."""
    ledger = agent_ledger(town, address)
    try:
        events = ledger.history(address.bead_id(ledger.prefix))
    except BeadsError:
        return []
    found = [dict(event["data"]["set"][FIELD]) for event in events
             if event.get("op") == "update" and isinstance(
                 (event.get("data") or {}).get("set", {}).get(FIELD), dict)]
    backend = town.backend()
    live_since = None
    if backend.is_live(address.session):
        record = read_record(record_path(backend.state_dir, address.session)) or {}  # type: ignore[attr-defined]
        live_since = record.get("started_at")
    newest_first = list(reversed(found))
    for index, item in enumerate(newest_first):
        item["current"] = bool(index == 0 and live_since and
                               str(item.get("started_at", "")) >= str(live_since)[:19])
    return newest_first


def _chosen(town: Town, address: Address, session_id: str | None) -> dict[str, Any]:
    found = sessions(town, address)
    if session_id is not None:
        for item in found:
            if item.get("id") == session_id:
                return item
        raise GtError(f"{address} has no recorded session {session_id!r} (`gt seance "
                      f"{address}` lists them)")
    predecessors = [item for item in found if not item["current"]]
    if not predecessors:
        raise GtError(f"{address} has no predecessor session recorded (a runtime records "
                      "its session when it starts: Claude Code and the scripted runtime do)")
    return predecessors[0]


def ask(town: Town, address: Address, question: str, session_id: str | None = None,
        timeout: float = 300.0) -> dict[str, Any]:
    """Ask one of the agent's past sessions `question` through its runtime's resume."""
    check_utf8(question, "the question")
    if not question.strip() or "\0" in question:
        raise GtError("ask a question: --ask \"...\" (no NUL bytes)")
    chosen = _chosen(town, address, session_id)
    runtime = presets.runtimes(town.settings).get(str(chosen.get("runtime")))
    if runtime is None or not runtime.ask:
        raise GtError(f"runtime {chosen.get('runtime')!r} of session {chosen['id']} cannot be "
                      "asked: it has no ask command (set `runtimes.<name>.ask`)")
    argv = [item.replace("{session}", str(chosen["id"])).replace("{question}", question)
            for item in runtime.ask]
    places = [chosen.get("cwd"), str(workdir(town, address)), str(town.root)]
    cwd = next(Path(p) for p in places if p and Path(p).is_dir())
    try:
        process = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env={**os.environ, "GT_TOWN": str(town.root)},
                                   start_new_session=True)
    except OSError as exc:
        raise GtError(f"cannot run {argv[0]!r} to ask session {chosen['id']}: "
                      f"{exc.strerror or exc}") from None
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise GtError(f"session {chosen['id']} gave no answer within {timeout:g} s") from None
    if process.returncode != 0:
        last = (err.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        raise GtError(f"{runtime.name} could not answer from session {chosen['id']}: {last}")
    return {"agent": str(address), "session": chosen, "question": question,
            "answer": out.decode(errors="replace").strip()}

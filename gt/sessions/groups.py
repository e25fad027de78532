"""The processes of a session, by process group: what an emergency stop stops and resumes.

A session's runtime runs in a kernel session of its own: tmux makes each pane's process a
session leader, and the process backend starts each session with `start_new_session`. Every
process group of that kernel session (a shell puts each job in a group of its own) is stopped
with SIGSTOP and resumed with SIGCONT; in tmux, the pane's own first process (`pane.py`)
is left alone, since tmux resumes it the moment it stops. A group is kept with the (pid,
start time) of its members when it was stopped, so a resume never signals a group whose id
the kernel has since given to other processes. Linux only: everything is read from /proc.
"""

from __future__ import annotations

import os
import signal
import subprocess
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from gt.sessions.base import Backend, read_record, record_path
from gt.sessions.processes import ProcessBackend
from gt.sessions.tmux import TmuxBackend, tmux_name


@dataclass(frozen=True)
class ProcStat:
    """The fields of /proc/<pid>/stat that tell a process apart and where it belongs."""

    pid: int
    state: str
    pgid: int
    sid: int
    start_time: int


def stat(pid: int) -> ProcStat | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return ProcStat(pid, fields[0], int(fields[2]), int(fields[3]), int(fields[19]))


def environ(pid: int) -> dict[str, str]:
    """The environment a process started with ({} when it cannot be read)."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.decode(errors="replace").partition("=") for item in raw.split(b"\0") if item)
    return {key: value for key, _, value in pairs}


def leaders(backend: Backend, name: str) -> list[int]:
    """The pids at the root of a live session: its panes' processes (tmux), or the process
    the backend started (checked against its recorded start time)."""
    if isinstance(backend, TmuxBackend):
        listed = subprocess.run(["tmux", "-L", backend.socket, "list-panes", "-s", "-t",
                                 f"={tmux_name(name)}", "-F", "#{pane_pid}"],
                                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                check=False)
        if listed.returncode != 0:
            return []
        return [int(line) for line in listed.stdout.split() if line.isdigit()]
    if isinstance(backend, ProcessBackend):
        record = read_record(record_path(backend.state_dir, name)) or {}
        pid, start_time = record.get("pid"), record.get("start_time")
        found = stat(pid) if isinstance(pid, int) else None
        return [pid] if found is not None and found.start_time == start_time else []
    return []


def session_groups(backend: Backend, name: str) -> dict[int, list[tuple[int, int]]]:
    """The process groups that run a live session's command: every group of its kernel
    session, but for tmux the pane's first process (`pane.py`), which tmux would resume at
    once and which holds no work of its own."""
    found = leaders(backend, name)
    out = groups_of(found)
    if isinstance(backend, TmuxBackend):
        for pid in found:
            out.pop(pid, None)
    return out


def _all_processes() -> list[ProcStat]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (item := stat(int(entry.name))) is not None:
            found.append(item)
    return found


def groups_of(pids: list[int]) -> dict[int, list[tuple[int, int]]]:
    """Every process group in the kernel sessions of `pids`, each with its members as (pid,
    start time). The kernel session of the process asking is never among them: a command
    run inside an agent's session (the Mayor's) must not stop itself."""
    sessions = {item.sid for pid in pids if (item := stat(pid)) is not None} - {os.getsid(0)}
    groups: dict[int, list[tuple[int, int]]] = {}
    for item in _all_processes():
        if item.sid in sessions and item.state not in "ZX":
            groups.setdefault(item.pgid, []).append((item.pid, item.start_time))
    return groups


def _still_there(members: list[tuple[int, int]]) -> bool:
    """Whether one of a group's recorded members still runs (same pid, same start time)."""
    return any((item := stat(pid)) is not None and item.start_time == start
               for pid, start in members)


def signal_groups(groups: dict[int, list[tuple[int, int]]], signum: int) -> list[int]:
    """Send `signum` to each group one of whose recorded members still runs; returns the
    groups signalled."""
    sent = []
    for pgid, members in groups.items():
        if _still_there(members):
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signum)
                sent.append(pgid)
    return sent


def stop_groups(groups: dict[int, list[tuple[int, int]]]) -> list[int]:
    return signal_groups(groups, signal.SIGSTOP)


def continue_groups(groups: dict[int, list[tuple[int, int]]]) -> list[int]:
    return signal_groups(groups, signal.SIGCONT)


def states(groups: dict[int, list[tuple[int, int]]]) -> dict[int, str]:
    """The state letter (R, S, T...) of each recorded member still running, by pid."""
    out = {}
    for members in groups.values():
        for pid, start in members:
            item = stat(pid)
            if item is not None and item.start_time == start:
                out[pid] = item.state
    return out

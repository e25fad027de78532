"""Sessions as plain background processes, for machines without tmux (or `--no-tmux`).

Each session is a process-group leader (its own session, stdin from /dev/null, output to a log)
with a record `<state_dir>/<name>.json` holding its pid and the kernel's start time of that pid
(from /proc/<pid>/stat), so a pid later reused by another process is never taken for the session.
There is no terminal to type into, so `send` always answers False and callers queue the nudge.

With an `exit_poke` file, the command runs under a fixed `/bin/sh` wrapper (the name, the poke
file and the argv are its positional parameters, never parsed) that waits for it and appends
`process-exited <name>` to that file when it ends, however it ends: the reactor watches the
file, so the Witness sees the death at once, as tmux's `session-closed` hook makes it for tmux.
A session the backend's exit watch names (`ExitWatch`: the reactor's and the Deacon's) then
runs the watch's command too, detached: a fixed argv of gt's own, quoted into the wrapper.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

from gt.sessions.base import (
    ExitWatch,
    SessionError,
    SessionSpec,
    check_startable,
    log_path,
    read_record,
    record_path,
    recorded_log,
    tail_log,
    write_record,
)

# The exit wrapper: runs its argv, then appends a line naming the session to the poke file and
# exits with the argv's status. A signal that kills the wrapper itself leaves no line (a stop).
EXIT_WRAPPER = ('poke=$1 name=$2; shift 2; "$@"; status=$?; '
                'printf "process-exited %s\\n" "$name" >> "$poke"; {watch}exit $status')

# Popen objects of the sessions this process started, by pid, so that they are reaped through
# Popen (which then knows its child is gone) rather than behind its back.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def _stat(pid: int) -> tuple[str, int] | None:
    """The state letter and start time (clock ticks since boot) of `pid`, if it exists."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return fields[0], int(fields[19])


def process_start_time(pid: int) -> int | None:
    """The kernel's start time of `pid` (clock ticks since boot), None if it is gone."""
    stat = _stat(pid)
    return stat[1] if stat else None


def process_alive(pid: int, start_time: int) -> bool:
    """Whether the process `pid` started at `start_time` still runs (not a zombie)."""
    return _alive((pid, start_time))


def _identity(record: dict[str, object] | None) -> tuple[int, int] | None:
    """The (pid, start time) a record names, if it is well formed."""
    record = record or {}
    pid, start_time = record.get("pid"), record.get("start_time")
    return (pid, start_time) if isinstance(pid, int) and isinstance(start_time, int) else None


def _alive(identity: tuple[int, int]) -> bool:
    """Whether that process still runs; a zombie child of ours is reaped on the way."""
    pid, start_time = identity
    stat = _stat(pid)
    if stat is None or stat[1] != start_time:
        return False
    if stat[0] in "ZX":
        _reap(pid)
        return False
    return True


def _reap(pid: int) -> None:
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        child.poll()
        return
    with suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _wait_dead(identity: tuple[int, int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(identity):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def _signal_group(identity: tuple[int, int], signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(identity[0], signum)


class ProcessBackend:
    """Sessions as detached processes recorded in `state_dir`; `grace` is SIGTERM's patience."""

    kind = "process"

    def __init__(self, state_dir: Path, grace: float = 3.0, exit_poke: Path | None = None,
                 exit_watch: ExitWatch | None = None) -> None:
        self.state_dir = state_dir
        self.grace = grace
        self.exit_poke = exit_poke
        self.exit_watch = exit_watch

    def _argv(self, spec: SessionSpec) -> list[str]:
        """The command, under the exit wrapper when a poke file is set. A session the exit
        watch names also runs its command after the poke line, detached, so the session is
        over (the wrapper gone) by the time the command looks."""
        if self.exit_poke is None:
            return spec.command
        watch = ""
        if self.exit_watch is not None and spec.name in self.exit_watch.sessions:
            watch = f"{shlex.join(self.exit_watch.command)} </dev/null >/dev/null 2>&1 & "
        return ["/bin/sh", "-c", EXIT_WRAPPER.format(watch=watch), "gt-session",
                str(self.exit_poke.absolute()), spec.name, *spec.command]

    def _identity(self, name: str) -> tuple[int, int] | None:
        return _identity(read_record(record_path(self.state_dir, name)))

    def start(self, spec: SessionSpec) -> None:
        check_startable(spec)
        if self.is_live(spec.name):
            raise SessionError(f"session {spec.name} is already running")
        log = log_path(self.state_dir, spec)
        log.parent.mkdir(parents=True, exist_ok=True)
        try:
            with log.open("ab") as output:
                child = subprocess.Popen(self._argv(spec), cwd=spec.cwd,
                                         env=os.environ | spec.env, stdin=subprocess.DEVNULL,
                                         stdout=output, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        except OSError as error:
            raise SessionError(f"cannot start {spec.name}: {error.strerror or error}") from error
        _CHILDREN[child.pid] = child
        stat = _stat(child.pid)
        write_record(record_path(self.state_dir, spec.name),
                     {"pid": child.pid, "start_time": stat[1] if stat else None,
                      "started_at": datetime.now(UTC).isoformat(), "command": spec.command,
                      "log": str(log)})

    def is_live(self, name: str) -> bool:
        identity = self._identity(name)
        return identity is not None and _alive(identity)

    def stop(self, name: str) -> None:
        """SIGTERM the session's process group, SIGKILL it after `grace` seconds; idempotent."""
        identity = self._identity(name)
        if identity is not None and _alive(identity):
            _signal_group(identity, signal.SIGTERM)
            if not _wait_dead(identity, self.grace):
                _signal_group(identity, signal.SIGKILL)
                _wait_dead(identity, 1.0)
        record_path(self.state_dir, name).unlink(missing_ok=True)

    def send(self, name: str, text: str) -> bool:
        return False

    def screen_state(self, name: str) -> str | None:
        return None

    def peek(self, name: str, lines: int = 50) -> str:
        return tail_log(recorded_log(self.state_dir, name), lines)

    def names(self) -> list[str]:
        records = self.state_dir.glob("*.json")
        return sorted(path.stem for path in records if self.is_live(path.stem))

"""What a session backend is: the spec of a session, its errors, and shared record and log helpers.

A session is one long-running command (an agent) with a name, a working directory and extra
environment. Backends keep a small JSON record per session under their state directory, written
atomically, so a later `gt` process can find the session's log (and, for processes, its pid).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from gt.errors import GtError
from gt.runtimes.screens import Screen

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


class SessionError(GtError):
    """A session could not be started or addressed; the message is one line."""

    code = "session"


@dataclass(frozen=True)
class SessionSpec:
    """How to run one session: `command` is an argv, never parsed by a shell."""

    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    log: Path | None = None
    screen: Screen | None = None  # how to read the agent's TUI, when it has one

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise SessionError(f"invalid session name {self.name!r}: use 1-64 letters, digits, "
                               "'_', '.' or '-', starting with a letter or digit")
        if not self.command:
            raise SessionError(f"session {self.name} has an empty command")
        bad_key = next((key for key in self.env if not ENV_KEY.fullmatch(key)), None)
        if bad_key is not None:
            raise SessionError(f"session {self.name}: invalid environment variable {bad_key!r}")
        if any("\0" in item for item in [*self.command, *self.env.values()]):
            raise SessionError(f"session {self.name}: a NUL byte in its command or environment")


@dataclass(frozen=True)
class ExitWatch:
    """A command the backend runs, detached, whenever one of `sessions` ends however it ends
    (its process killed or its session closed): what must not wait for a live process to
    notice the death, because the process that would notice may be the one that died."""

    sessions: tuple[str, ...]
    command: tuple[str, ...]


@dataclass(frozen=True)
class Pane:
    """A live session's process as its backend sees it: pid, the command in the foreground,
    whether it died, and the session's incarnation (unique per start on its server)."""

    pid: int
    command: str
    dead: bool
    incarnation: str


class Backend(Protocol):
    """Runs named sessions; `kind` is "tmux" or "process"."""

    kind: str

    def start(self, spec: SessionSpec) -> None: ...

    def is_live(self, name: str) -> bool: ...

    def stop(self, name: str) -> None: ...

    def send(self, name: str, text: str) -> bool: ...

    def screen_state(self, name: str) -> str | None: ...

    def peek(self, name: str, lines: int = 50) -> str: ...

    def names(self) -> list[str]: ...


def check_startable(spec: SessionSpec) -> None:
    """Refuse clearly, before anything runs, a missing directory or an unknown program."""
    if not spec.cwd.is_dir():
        raise SessionError(f"cannot start {spec.name}: no such directory {spec.cwd}")
    program = spec.command[0]
    candidate = str(spec.cwd / program) if "/" in program else program
    search_path = (os.environ | spec.env).get("PATH", os.defpath)
    if shutil.which(candidate, path=search_path) is None:
        raise SessionError(f"cannot start {spec.name}: command not found: {program}")


def record_path(state_dir: Path, name: str) -> Path:
    return state_dir / f"{name}.json"


def log_path(state_dir: Path, spec: SessionSpec) -> Path:
    """Where a starting session's output goes: its spec's log, else `<state_dir>/<name>.log`."""
    return spec.log or state_dir / f"{spec.name}.log"


def recorded_log(state_dir: Path, name: str) -> Path:
    """The log a session was started with (the default place once its record is gone)."""
    record = read_record(record_path(state_dir, name)) or {}
    return Path(str(record.get("log") or state_dir / f"{name}.log"))


def write_record(path: Path, record: dict[str, object]) -> None:
    """Write a session record atomically: a temporary file in the same directory, renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record))
    os.replace(temporary, path)


def read_record(path: Path) -> dict[str, object] | None:
    """The record at `path`, or None when there is none (or it is unreadable)."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def last_lines(text: str, lines: int) -> str:
    """The last `lines` lines of `text`, without trailing blank lines or escape sequences."""
    return "\n".join(ANSI.sub("", text).rstrip().splitlines()[-lines:]) if lines > 0 else ""


def tail_log(path: Path, lines: int) -> str:
    """The last `lines` lines of a log file ("" when there is no log)."""
    try:
        with path.open("rb") as log:
            size = log.seek(0, os.SEEK_END)
            log.seek(max(0, size - max(lines, 1) * 1024))
            data = log.read()
    except OSError:
        return ""
    return last_lines(data.decode(errors="replace"), lines)

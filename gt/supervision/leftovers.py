"""Processes a session left behind: children of an agent's session that outlived it
(reparented when the session died), found by the environment every agent session carries
(`GT_TOWN` naming this town, `GT_AGENT` a polecat or crew member), still in the dead
session's process session (not a session leader themselves: the reactor or a Deacon started
from an agent's shell inherits its environment but leads its own session), and not inside
that agent's live session (none of their ancestors is the session's recorded process).
Only this town's, never the calling process or its ancestors; stopped with SIGTERM, then
SIGKILL after a grace."""

from __future__ import annotations

import os
import signal
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from gt.agents import Address
from gt.errors import GtError
from gt.sessions.base import read_record, record_path
from gt.sessions.processes import process_alive, process_start_time
from gt.town import Town

GRACE = 3.0


@dataclass(frozen=True)
class Leftover:
    pid: int
    start_time: int
    agent: str


def _environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def _stat_field(pid: int, index: int) -> int:
    """A numeric field of /proc/<pid>/stat after the command (1: parent, 3: session)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[index])
    except (OSError, ValueError, IndexError):
        return 0


def _parent(pid: int) -> int:
    return _stat_field(pid, 1)


def _ancestors(pid: int) -> set[int]:
    found = set()
    while pid > 1 and pid not in found:
        found.add(pid)
        pid = _parent(pid)
    return found


def find(town: Town) -> list[Leftover]:
    """This town's agent processes outside their agent's live session."""
    sessions = town.backend()
    record_dir: Path = sessions.state_dir  # type: ignore[attr-defined]
    mine = _ancestors(os.getpid())
    root = str(town.root)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        pid = int(entry.name)
        env = _environ(pid)
        if env.get("GT_TOWN") != root or not env.get("GT_AGENT"):
            continue
        try:
            address = Address.parse(env["GT_AGENT"])
        except GtError:
            continue
        if address.role not in ("polecat", "crew") or _stat_field(pid, 3) == pid:
            continue
        session = address.session
        leader = (read_record(record_path(record_dir, session)) or {}).get("pid")
        if isinstance(leader, int) and leader in _ancestors(pid) \
                and sessions.is_live(session):
            continue
        start_time = process_start_time(pid)
        if start_time is not None:
            found.append(Leftover(pid, start_time, env["GT_AGENT"]))
    return found


def stop(leftover: Leftover) -> bool:
    """SIGTERM, then SIGKILL after `GRACE`; True once it is gone. A pid reused meanwhile (a
    different start time) is never signalled."""
    for signum, wait in ((signal.SIGTERM, GRACE), (signal.SIGKILL, 1.0)):
        if not process_alive(leftover.pid, leftover.start_time):
            return True
        with suppress(ProcessLookupError):
            os.kill(leftover.pid, signum)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not process_alive(leftover.pid, leftover.start_time):
                return True
            time.sleep(0.05)
    return not process_alive(leftover.pid, leftover.start_time)

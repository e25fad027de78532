"""Collecting an agent's signals: its bead (hook, state, when hooked), its session and process
as the backend sees them, when its output last changed (the session log's time), its last
heartbeat, and its last ledger or worktree commit. Cheap: one tmux call for every pane, then
file times and ledger reads from the cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from beads.errors import BeadsError
from beads.query import Filters
from gt.agents import Address, homed_here
from gt.errors import GtError
from gt.rig import rigs_readable
from gt.sessions import Pane
from gt.sessions.base import read_record, record_path
from gt.sessions.processes import process_alive
from gt.supervision.heartbeat import last_beat
from gt.supervision.judge import Signals
from gt.town import Town
from gt.whoami import agent_ledger

SHELLS = frozenset({"sh", "bash", "zsh", "fish", "dash", "ksh", "tcsh", "csh", "ash"})
SUPERVISED_ROLES = ("polecat", "crew", "witness", "mayor", "deacon")


@dataclass(frozen=True)
class Agent:
    address: Address
    bead: dict[str, Any]


def parse_time(text: Any) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def agents_here(town: Town) -> list[Agent]:
    """The town's agents homed on this machine (the ones this machine supervises)."""
    found = []
    for ledger in [town.ledger()] + [rig.ledger() for rig in rigs_readable(town)]:
        for bead in ledger.list(Filters(types=["agent"]), sort="id", limit=None):
            try:
                address = Address.parse(bead["title"])
            except GtError:
                continue
            if address.role in SUPERVISED_ROLES and homed_here(bead, town.machine):
                found.append(Agent(address, bead))
    return found


def _file_time(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _worktree_commit_time(town: Town, address: Address) -> float | None:
    """When the agent's worktree last moved its HEAD (a commit, a reset): its reflog's time."""
    if address.role not in ("polecat", "crew") or address.rig is None:
        return None
    group = "polecats" if address.role == "polecat" else "crew"
    dotgit = town.root / address.rig / group / str(address.name) / ".git"
    try:
        text = dotgit.read_text()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    return _file_time(Path(text[7:].strip()) / "logs" / "HEAD")


def hook_bead(town: Town, agent: Agent) -> dict[str, Any] | None:
    """The bead on the agent's hook, read from its ledger (None if none or unreadable)."""
    hook = agent.bead.get("hook_bead")
    if not hook:
        return None
    try:
        return agent_ledger(town, agent.address).get(hook)
    except BeadsError:
        return None


class Observer:
    """Signals of the town's agents, from one look at the backend per pass."""

    def __init__(self, town: Town) -> None:
        self.town = town
        self.backend = town.backend()
        self.kind = self.backend.kind
        panes = getattr(self.backend, "panes", None)
        self.panes: dict[str, Pane] | None = panes() if panes else None
        self.record_dir: Path = self.backend.state_dir  # type: ignore[attr-defined]

    def record(self, session: str) -> dict[str, Any]:
        return read_record(record_path(self.record_dir, session)) or {}

    def signals(self, agent: Agent, hook_bead: dict[str, Any] | None = None) -> Signals:
        address, bead = agent.address, agent.bead
        session = address.session
        record = self.record(session)
        pid, start_time = record.get("pid"), record.get("start_time")
        recorded_alive = isinstance(pid, int) and isinstance(start_time, int) \
            and process_alive(pid, start_time)
        if self.panes is not None:
            pane = self.panes.get(session)
            live = pane is not None and not pane.dead
            process = recorded_alive or (pane is not None and live
                                         and process_alive_or_unknown(pane, record))
            runtime = pane is not None and live and pane.command not in SHELLS
            incarnation = pane.incarnation if pane else record.get("incarnation")
        else:
            live = process = runtime = recorded_alive
            incarnation = f"{pid}:{start_time}" if pid else None
        log = Path(str(record.get("log") or self.town.state_dir / "logs" / f"{session}.log"))
        ledger_times = [_worktree_commit_time(self.town, address)]
        if hook_bead is not None:
            ledger_times.append(parse_time(hook_bead.get("updated_at")))
        ledger_at = max((t for t in ledger_times if t is not None), default=None)
        return Signals(
            agent=str(address), hook=bead.get("hook_bead"),
            agent_state=str(bead.get("agent_state") or "idle"),
            hooked_at=parse_time(bead.get("hooked_at")), session_live=live,
            process_alive=bool(process), runtime_alive=bool(runtime),
            started_at=parse_time(record.get("started_at")), output_at=_file_time(log),
            heartbeat_at=last_beat(self.town.state_dir, session), ledger_at=ledger_at,
            incarnation=str(incarnation) if incarnation else None)


def process_alive_or_unknown(pane: Pane, record: dict[str, Any]) -> bool:
    """The pane's process, checked against the recorded start time when it is the one the
    session was started with (a pid tmux reports is alive by definition otherwise)."""
    if record.get("pid") == pane.pid and isinstance(record.get("start_time"), int):
        return process_alive(pane.pid, int(record["start_time"]))
    return True

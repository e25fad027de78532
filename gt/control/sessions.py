"""One agent's session by hand: start it, and its status with the evidence behind it (the
backend's record, its processes and their states, its log's last write, an emergency stop
holding it, its bead's state and hook, its runtime's session id)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from beads.errors import BeadsError
from gt.agents import Address, agent_bead
from gt.control import estop, state
from gt.errors import GtError
from gt.launch import start
from gt.sessions import groups
from gt.sessions.base import read_record, record_path
from gt.town import Town
from gt.whoami import agent_ledger
from gt.work.sling import hooked, ready_for_wake


def start_session(town: Town, address: Address, runtime: str | None = None) -> dict[str, Any]:
    """Start the agent's session (a polecat in the worktree of the bead on its hook)."""
    if town.backend().is_live(address.session):
        raise GtError(f"{address} is already running (`gt session status {address}`)")
    if address.role == "polecat" and hooked(town, address) is not None:
        ready_for_wake(town, address)
    used = start(town, address, runtime)
    return {"agent": str(address), "session": address.session, "runtime": used}


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def status(town: Town, address: Address) -> dict[str, Any]:
    backend = town.backend()
    name = address.session
    record = read_record(record_path(backend.state_dir, name)) or {}  # type: ignore[attr-defined]
    live = backend.is_live(name)
    leaders = groups.leaders(backend, name) if live else []
    processes = {str(pid): letter for pid, letter in
                 groups.states(groups.session_groups(backend, name)).items()} if live else {}
    log = record.get("log")
    last_output = None
    if isinstance(log, str):
        try:
            last_output = _when(Path(log).stat().st_mtime)
        except OSError:
            last_output = None
    try:
        bead = agent_bead(agent_ledger(town, address), address) or {}
    except BeadsError:
        bead = {}
    frozen_here = name in estop.status(town)["sessions"]
    return {"agent": str(address), "session": name, "backend": backend.kind, "live": live,
            "started_at": record.get("started_at"), "command": record.get("command"),
            "log": log, "last_output_at": last_output, "leaders": leaders,
            "processes": processes, "stopped": bool(processes) and all(
                letter == "T" for letter in processes.values()),
            "frozen_here": frozen_here, "hold": state.hold(town, address.rig),
            "agent_state": bead.get("agent_state"), "hook": bead.get("hook_bead"),
            "home": bead.get("home"), "runtime_session": bead.get("runtime_session")}

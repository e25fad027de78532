"""The emergency stop: `gt estop` freezes every agent session at once, `gt thaw` resumes
exactly what was frozen.

Stopping is a ledger event (`gt.control.state`): the town's, or one rig's. Each machine then
makes its own sessions match the ledger (`enforce`): the command that stops does it at once
on its machine, and every machine's reactor does it when the event reaches its ledger (a
`gt sync`, a fetch). A frozen session's process groups get SIGSTOP: nothing is killed, no
work is lost. What was stopped is recorded locally (`.git/gt/estop.json`: each session's
groups with their members' pids and start times), and a thaw sends SIGCONT to exactly that
set. The reactor is never frozen (it must hear the thaw), nor the session that runs the
command. While frozen, slings queue, the reactor wakes and dispatches nothing, the Refinery
merges nothing and sessions are not started; thawing wakes the agents that have work on
their hook and no live session, then dispatches the queue.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from beads.locks import exclusive
from gt.agents import Address, homed_here
from gt.control import state
from gt.control.dispatch import dispatch
from gt.errors import GtError
from gt.launch import REACTOR_SESSION, wake
from gt.roster import all_agents
from gt.sessions import groups
from gt.town import Town
from gt.work.sling import ready_for_wake

RECORD = "estop.json"


def _path(town: Town) -> Path:
    return town.state_dir / RECORD


def _load(town: Town) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(_path(town).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(town: Town, frozen: dict[str, dict[str, Any]]) -> None:
    path = _path(town)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(frozen, indent=1))
    os.replace(temporary, path)


def _groups(entry: dict[str, Any]) -> dict[int, list[tuple[int, int]]]:
    return {int(pgid): [(int(pid), int(start)) for pid, start in members]
            for pgid, members in entry.get("groups", {}).items()}


def _agent_of(leaders: list[int]) -> tuple[str | None, str | None]:
    """The agent a session runs and its rig, from its root process's environment."""
    for pid in leaders:
        env = groups.environ(pid)
        if env.get("GT_AGENT"):
            return env["GT_AGENT"], env.get("GT_RIG") or None
    return None, None


def enforce(town: Town) -> dict[str, list[str]]:
    """Make this machine's sessions match the stops in the ledger: freeze the live sessions
    a stop covers, resume the ones this machine froze that no stop covers any more."""
    scopes = state.frozen_scopes(town)
    backend = town.backend()
    with exclusive(town.state_dir / "estop.lock"):
        frozen = _load(town)
        resumed = []
        for name, entry in list(frozen.items()):
            if "town" not in scopes and entry.get("rig") not in scopes:
                groups.continue_groups(_groups(entry))
                del frozen[name]
                resumed.append(name)
        stopped = []
        for name in backend.names():
            if name == REACTOR_SESSION or name in frozen:
                continue
            agent, rig = _agent_of(groups.leaders(backend, name))
            if "town" not in scopes and (rig is None or rig not in scopes):
                continue
            found = groups.session_groups(backend, name)
            if not found:
                continue
            groups.stop_groups(found)
            frozen[name] = {"agent": agent, "rig": rig,
                            "groups": {str(k): v for k, v in found.items()}}
            stopped.append(name)
        _save(town, frozen)
    return {"frozen": stopped, "resumed": resumed}


def _check_rig(town: Town, rig: str | None) -> None:
    if rig is not None and rig not in town.rig_names():
        raise GtError(f"no rig named {rig!r} in this town (rigs: "
                      f"{', '.join(town.rig_names()) or 'none'})")


def estop(town: Town, rig: str | None, reason: str, actor: str) -> dict[str, Any]:
    """Record the stop in the town's ledger, then freeze this machine's sessions it covers."""
    _check_rig(town, rig)
    scope = rig or "town"
    already = scope in state.frozen_scopes(town)
    if not already:
        town.ledger(actor).config_set(state.estop_key(rig),
                                      state.record("frozen", True, actor, town, reason))
    done = enforce(town)
    return {"scope": scope, "already_frozen": already, "reason": reason,
            "frozen": done["frozen"], "held": sorted(_load(town))}


def thaw(town: Town, rig: str | None, actor: str) -> dict[str, Any]:
    """Lift the stop of `rig`, or every stop (None): a ledger event; then resume what this
    machine froze, wake agents with work on their hook, dispatch the queue."""
    _check_rig(town, rig)
    scopes = state.frozen_scopes(town)
    lifting = [rig] if rig is not None else sorted(scopes)
    if rig is not None and rig not in scopes:
        raise GtError(f"rig {rig} has no emergency stop of its own" + (
            " (the whole town is frozen: `gt thaw`)" if "town" in scopes else ""))
    if not lifting:
        raise GtError("nothing is frozen (see `gt estop status`)")
    ledger = town.ledger(actor)
    for scope in lifting:
        key = state.estop_key(None if scope == "town" else scope)
        ledger.config_set(key, state.record("frozen", False, actor, town))
    return {"thawed": lifting, **resume(town)}


def resume(town: Town, after_lift: bool = True) -> dict[str, Any]:
    """Make this machine's sessions match the ledger's stops; after a stop was lifted, also
    wake the agents homed here that have work on their hook, no live session and nothing
    holding them (their wakes were skipped while frozen), and dispatch the queue."""
    done = enforce(town)
    woken: list[str] = []
    if not after_lift:
        return {**done, "woken": woken, "dispatched": []}
    for agent in all_agents(town):
        if agent["hook"] and not agent["live"] and homed_here(agent, town.machine):
            address = Address.parse(agent["agent"])
            if state.hold(town, address.rig) is None and ready_for_wake(town, address):
                woken.append(f"{address}: {wake(town, address)}")
    return {"frozen": done["frozen"], "resumed": done["resumed"], "woken": woken,
            "dispatched": dispatch(town)}


def status(town: Town) -> dict[str, Any]:
    """The stops and parked rigs in the ledger, and the sessions frozen on this machine
    with the state of their processes (T: stopped)."""
    local = {}
    for name, entry in _load(town).items():
        local[name] = {"agent": entry.get("agent"), "rig": entry.get("rig"),
                       "processes": {str(pid): letter for pid, letter in
                                     groups.states(_groups(entry)).items()}}
    scopes = state.frozen_scopes(town)
    return {"frozen": bool(scopes), "stops": scopes, "parked": state.parked_rigs(town),
            "sessions": local}

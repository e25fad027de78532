"""Agents' states with their evidence (`gt agents`, `gt polecat list|status|stale`), nuking a
polecat without losing its work, and collecting zombies and orphans (`gt polecat gc`, which
the Witness's judgement complements): sessions with no agent bead, agents marked working
with no session and nothing hooked, worktrees with no agent, done polecats whose session
lingers, and processes a dead session left behind (`leftovers`). The Witness runs the safe
part on its timer pass (`automatic`): a worktree without an agent is then only reported.
Only this town's sessions are ever touched: its own tmux server (or process records
in its own state directory), and among them only those with a record this town wrote."""

from __future__ import annotations

import time
from typing import Any

from gt import launch
from gt.agents import Address, agent_bead
from gt.errors import GtError
from gt.rig import Rig, rigs, rigs_readable
from gt.sessions.base import record_path
from gt.supervision import leftovers, recovery
from gt.supervision.judge import Verdict, judge
from gt.supervision.record import record
from gt.supervision.signals import Agent, Observer, agents_here, hook_bead
from gt.town import Town
from gt.work.sling import unsling

STALE_STATES = ("stalled", "dead")


def states(town: Town, role: str | None = None, rig: str | None = None) -> list[dict[str, Any]]:
    """Every agent homed here (of `role`, in `rig`) with its judged state and evidence."""
    observer = Observer(town)
    now = time.time()
    out = []
    for agent in agents_here(town):
        address = agent.address
        if (role and address.role != role) or (rig and address.rig != rig):
            continue
        signals = observer.signals(agent, hook_bead(town, agent))
        verdict = judge(signals, town.settings.supervision, now)
        out.append({"agent": str(address), "role": address.role, "rig": address.rig,
                    "session": address.session, "live": signals.session_live,
                    "hook": signals.hook, "agent_state": signals.agent_state,
                    "state": verdict.state, "evidence": verdict.evidence})
    return out


def status(town: Town, address: Address) -> dict[str, Any]:
    for item in states(town, address.role, address.rig):
        if item["agent"] == str(address):
            return item
    raise GtError(f"no agent {address} homed on this machine")


def stale(town: Town, rig: str | None = None) -> list[dict[str, Any]]:
    """Polecats that are stalled or dead with work hooked."""
    return [item for item in states(town, "polecat", rig) if item["state"] in STALE_STATES]


def _polecat_rig(town: Town, address: Address) -> Rig:
    if address.role != "polecat" or address.rig is None:
        raise GtError(f"{address} is not a polecat (<rig>/polecats/<name>)")
    return Rig(town, address.rig)


def nuke(town: Town, address: Address, force: bool = False) -> dict[str, Any]:
    """Stop a polecat's session, give its work back (open) and remove its worktree. Refused
    while the worktree holds unsaved work unless `force`, which saves it to a recovery ref
    first."""
    rig = _polecat_rig(town, address)
    worktree = rig.polecat_dir(str(address.name))
    found = recovery.unsaved(worktree)
    if found.any and not force:
        raise GtError(f"{address} has unsaved work ({len(found.changes)} uncommitted "
                      f"change(s), {len(found.commits)} commit(s) on no other branch or "
                      "request): use --force to save it to a recovery ref and nuke")
    ref = recovery.save(worktree, address, "nuked") if found.any else None
    item = status(town, address)
    verdict = Verdict(item["state"], {**item["evidence"], "recovery_ref": ref,
                                      "why": "nuked by hand"})
    record(town, address, "stop", verdict, detail=f"nuke (recovery ref: {ref or 'none'})")
    launch.stop(town, address)
    bead = item["hook"]
    if bead:
        unsling(town, address, actor="gt")
    if worktree.exists():
        rig.remove_worktree(worktree)
    return {"agent": str(address), "stopped": True, "released": bead, "recovery_ref": ref}


def gc(town: Town, dry_run: bool = False, automatic: bool = False) -> list[dict[str, Any]]:
    """Find zombies and orphans; clean the safe ones (unless `dry_run`), report the rest.
    `automatic` (the Witness): worktrees without an agent are reported, not removed, and a
    done polecat's session is stopped only once it is `spawn_grace` old."""
    found: list[dict[str, Any]] = []
    sessions = town.backend()
    agents = agents_here(town)
    by_session = {a.address.session: a for a in agents}
    standing = {launch.REACTOR_SESSION, launch.DEACON_SESSION,
                *(Address("refinery", r.name).session for r in rigs(town))}
    live = set(sessions.names())
    record_dir = sessions.state_dir  # type: ignore[attr-defined]
    for name in sorted(live - standing - set(by_session)):
        ours = record_path(record_dir, name).exists()
        item = {"kind": "session without agent", "name": name,
                "action": "stopped" if ours else "left: no record of this town for it"}
        if ours and not dry_run:
            sessions.stop(name)
        found.append(item)
    states_by_agent = {s["agent"]: s for s in states(town)}
    for agent in agents:
        item = states_by_agent.get(str(agent.address))
        if item is None:
            continue
        found += _agent_findings(town, agent, item, dry_run, automatic)
    for leftover in leftovers.find(town):
        stopped = not dry_run and leftovers.stop(leftover)
        found.append({"kind": "process left behind", "name": f"{leftover.agent} "
                      f"(pid {leftover.pid})", "action": "would stop" if dry_run else
                      "stopped" if stopped else "could not stop"})
    for rig in rigs_readable(town):
        polecats = rig.path / "polecats"
        for path in sorted(polecats.iterdir()) if polecats.is_dir() else []:
            address = Address("polecat", rig.name, path.name)
            if agent_bead(rig.ledger(), address) is not None:
                continue
            action = "would save and remove" if dry_run else \
                "left: remove with `gt polecat gc`" if automatic else _remove_saved(rig, address)
            found.append({"kind": "worktree without agent", "name": str(path),
                          "action": action})
    return found


def _agent_findings(town: Town, agent: Agent, item: dict[str, Any],
                    dry_run: bool, automatic: bool = False) -> list[dict[str, Any]]:
    address = agent.address
    out = []
    if not item["hook"] and not item["live"] and item["agent_state"] == "working":
        out.append({"kind": "marked working with no session", "name": str(address),
                    "action": "would set idle" if dry_run else "set idle"})
        if not dry_run:
            verdict = Verdict(item["state"], {**item["evidence"],
                                              "why": "marked working, no session, no hook"})
            record(town, address, "release", verdict, {"agent_state": "idle"},
                   "zombie: marked working with no session and nothing hooked")
    age = item["evidence"].get("session_age")
    settled = not automatic or (age is not None and age >= town.settings.supervision.spawn_grace)
    if address.role == "polecat" and not item["hook"] and item["live"] and settled:
        out.append({"kind": "done polecat with a lingering session", "name": str(address),
                    "action": "would stop" if dry_run else "stopped"})
        if not dry_run:
            verdict = Verdict(item["state"], {**item["evidence"],
                                              "why": "nothing hooked, session lingering"})
            record(town, address, "stop", verdict, detail="done polecat's session lingered")
            town.backend().stop(address.session)
    if item["hook"] and item["state"] == "dead":
        out.append({"kind": "dead with work hooked", "name": str(address),
                    "action": "left to the Witness (restart in place)"})
    return out


def _remove_saved(rig: Rig, address: Address) -> str:
    worktree = rig.polecat_dir(str(address.name))
    ref = recovery.save(worktree, address, "worktree without agent") \
        if (worktree / ".git").exists() else None
    rig.remove_worktree(worktree)
    return f"removed (work saved to {ref})" if ref else "removed (nothing unsaved)"

"""Agents against what they run in: worktrees without agents and agents without their
worktree; sessions of no agent and agents marked working without a session."""

from __future__ import annotations

from pathlib import Path

from gt.agents import Address
from gt.doctor.finding import Finding, Options, ok, problem
from gt.git import git
from gt.launch import REACTOR_SESSION
from gt.rig import Rig, rigs
from gt.town import Town
from gt.townview import parts
from gt.townview.ledgers import ledgers
from gt.townview.problems import NEEDS_SESSION

GROUPS = {"polecats": "polecat", "crew": "crew"}


def _clean(path: Path) -> bool:
    result = git("status", "--porcelain", cwd=path, check=False)
    return result.returncode == 0 and not result.stdout.strip()


def _worktrees(rig: Rig, agents: set[str]) -> list[Finding]:
    found = []
    known = {rig.refinery_dir.resolve()}
    for path in rig.worktrees():
        resolved = path.resolve()
        if resolved in known:
            continue
        try:
            group, name = resolved.relative_to(rig.path.resolve()).parts[:2]
        except ValueError:
            group, name = "", ""
        if group in GROUPS and str(Address(GROUPS[group], rig.name, name)) in agents:
            continue
        if _clean(path):
            def remove(path: Path = path) -> str:
                rig.remove_worktree(path)
                return f"removed the worktree {path}"

            found.append(problem("worktrees", str(path), "a worktree no agent owns (clean)",
                                 "remove it", remove))
        else:
            found.append(problem("worktrees", str(path), "a worktree no agent owns, with "
                                 "uncommitted changes", f"save what matters, then git "
                                 f"worktree remove {path}"))
    return found


def check(town: Town, options: Options) -> list[Finding]:
    views = ledgers(town)
    backend = town.backend()
    live = set(backend.names())
    agents = parts.agents(town, views, live)
    names = {a["agent"] for a in agents}
    found: list[Finding] = []
    for rig in rigs(town):
        found += _worktrees(rig, names)
    for agent in agents:
        address = Address.parse(agent["agent"])
        if address.role in ("polecat", "crew"):
            folder = Rig(town, address.rig or "").path / \
                ("polecats" if address.role == "polecat" else "crew") / (address.name or "")
            if (agent["hook"] or address.role == "crew") and not folder.is_dir():
                found.append(problem("worktrees", agent["agent"],
                                     f"has {agent['hook'] or 'its name'} but no worktree at "
                                     f"{folder}", f"gt unsling {agent['agent']}, then sling "
                                     "the work again" if agent["hook"] else
                                     f"gt crew add {address.name} in {address.rig}"))
        if agent["state"] in NEEDS_SESSION and not agent["live"]:
            found.append(problem("sessions", agent["agent"], f"marked {agent['state']} with "
                                 f"{agent['hook'] or 'nothing'} hooked, but no session runs",
                                 f"gt session restart {agent['agent']} (or gt unsling it)"))
    sessions = {a["session"] for a in agents} | {REACTOR_SESSION}
    sessions |= {Address("refinery", r.name).session for r in rigs(town)}
    for name in sorted(live - sessions):
        def stop(name: str = name) -> str:
            backend.stop(name)
            return f"stopped the session {name}"

        found.append(problem("sessions", name, "a session of no agent of this town",
                             "stop it", stop))
    if not found:
        found.append(ok("worktrees and sessions", "town",
                        f"{len(agents)} agents, {len(live)} live session(s), all accounted "
                        "for"))
    return found

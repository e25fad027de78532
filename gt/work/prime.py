"""`gt prime`: an agent's role context, its hooked work and the next step, kept short.

A runtime's start-up hook prints this into the session. For a polecat with a hooked bead it
stays under 2,000 tokens (about 8,000 characters): long bead text is trimmed.
"""

from __future__ import annotations

from typing import Any

from gt import seance
from gt.agents import Address
from gt.town import Town
from gt.whoami import agent_ledger, workdir
from gt.work import cached, checklist, nudge

ROLE_TEXT = {
    "mayor": "You are the Mayor: you talk with the overseer, file work as beads (`bd create`), "
             "group it into convoys (`gt convoy create`) and sling it to rigs (`gt sling <bead> "
             "<rig>`). You do not write code yourself.",
    "deacon": "You are the Deacon: you patrol the town, check that agents are alive and "
              "escalate what is stuck.",
    "witness": "You are the Witness of this rig: you watch its polecats and its Refinery and "
               "recover the stuck ones, never killing one that is still working.",
    "refinery": "You are the Refinery of this rig: you merge finished work to the default "
                "branch, one merge request at a time.",
    "polecat": "You are a polecat: a worker with your own git worktree. Do the work on your "
               "hook, commit it on your branch, then run `gt done`. If you cannot finish, run "
               "`gt done --status escalated --reason \"...\"`; if you run out of context, "
               "`gt handoff -m \"where I am\"`.",
    "crew": "You are crew: a long-lived workspace for direct work with the overseer.",
}
LIMIT = {"description": 3000, "acceptance_criteria": 1200, "design": 1200, "notes": 800}


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more " \
                                                           "characters: `bd show` has all)"


def context(town: Town, address: Address, consume_nudges: bool = True) -> dict[str, Any]:
    # Reads from the caches only: no pygit2, so a session primes fast (gt.work.cached).
    bead = cached.hooked(town, address)
    agent = cached.agent(town, address) or {}
    unread = cached.unread_mail(town, str(address))
    nudges = nudge.drain(town, address) if consume_nudges else []
    if bead is None:
        step = "Nothing is on your hook. Check `gt mail inbox`, or wait to be slung work."
    elif address.role == "polecat":
        step = (f"Work on {bead['id']} in {workdir(town, address)}: make the change, commit it, "
                "then run `gt done`.")
    else:
        step = f"Work on {bead['id']}; close it with `bd close {bead['id']}` when it is done."
    molecule = checklist.for_bead(cached.agent_db(town, address), bead) if bead else None
    if molecule:
        step = checklist.next_step_text(molecule)
    hook = None
    if bead is not None:
        hook = {"id": bead["id"], "title": bead["title"], "status": bead["status"],
                "priority": bead.get("priority"), "metadata": bead.get("metadata"),
                "sling_args": bead.get("sling_args"), "rejections": bead.get("rejections")}
        for key, limit in LIMIT.items():
            if bead.get(key):
                hook[key] = _trim(str(bead[key]), limit)
    return {"agent": str(address), "role": address.role, "rig": address.rig,
            "role_text": ROLE_TEXT.get(address.role, ""), "hook": hook,
            "handoff_note": agent.get("handoff_note"),
            "unread_mail": [{"id": m["id"], "from": m.get("sender"), "subject": m["title"]}
                            for m in unread],
            "nudges": nudges, "next_step": step, "molecule": molecule}


def session_started(town: Town, address: Address, ctx: dict[str, Any],
                    payload: dict[str, Any], runtime: str | None) -> None:
    """Record, in one event, the agent's state as its session starts (`gt prime --hook`):
    working when something is on its hook, else idle; and the runtime's session (id,
    transcript) when its hook handed one over, as Claude Code's SessionStart does, for
    `gt seance` and `gt costs`."""
    ledger = agent_ledger(town, address, str(address))
    agent_id = address.bead_id(ledger.prefix)
    agent = ledger.get(agent_id)
    state = "working" if ctx["hook"] else "idle"
    changes: dict[str, Any] = {}
    if agent.get("agent_state") != state:
        changes["agent_state"] = state
    if (record := seance.session_record(town, address, agent, payload, runtime)) is not None:
        changes[seance.FIELD] = record
    if changes:
        ledger.update_many(f"{address} session started", {agent_id: changes})


def render(ctx: dict[str, Any]) -> str:
    lines = [f"# {ctx['agent']}", "", ctx["role_text"], ""]
    if ctx["handoff_note"]:
        lines += ["## Note from your predecessor", ctx["handoff_note"], ""]
    hook = ctx["hook"]
    if hook:
        lines += [f"## On your hook: {hook['id']} [P{hook['priority']}] {hook['title']}"]
        for key in ("description", "acceptance_criteria", "design", "notes", "sling_args"):
            if hook.get(key):
                lines += [f"{key.replace('_', ' ')}:", str(hook[key])]
        if hook.get("rejections"):
            lines.append(f"(rejected {hook['rejections']} time(s) before: see `bd show "
                         f"{hook['id']}` for why)")
        lines.append("")
    if ctx.get("molecule"):
        lines += checklist.render(ctx["molecule"])
    if ctx["unread_mail"]:
        lines.append(f"## Unread mail ({len(ctx['unread_mail'])})")
        lines += [f"- {m['id']} from {m['from']}: {m['subject']}" for m in ctx["unread_mail"]]
        lines.append("")
    if ctx["nudges"]:
        lines.append("## Nudges")
        lines += [f"- from {n['from']}: {n['text']}" for n in ctx["nudges"]]
        lines.append("")
    lines += ["## Next step", ctx["next_step"]]
    return "\n".join(lines) + "\n"

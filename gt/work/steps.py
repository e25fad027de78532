"""Working a molecule from an agent's hook: its current step, finishing steps, and moving a
convoy molecule on when its legs land.

A patrol is a wisp molecule attached to an agent (`start_patrol`; the reactor wakes the
agent on the events its `wake_on` names, `gt.reactor.patrols`); finishing its last step
re-arms it: the finished wisp is burned and a fresh one poured for the next round.

`current` reads the caches only. `step_done` is one ledger commit (`beads.mol.lifecycle`).
`advance` is the reactor's: when a step of a convoy molecule closes, the steps it unblocked
(the synthesis, once every leg has landed) are slung to polecats of the rig, and a convoy
molecule whose steps are all done closes its root.
"""

from __future__ import annotations

from typing import Any

from beads import query
from beads.errors import BeadsError
from beads.mol import progress, record
from gt.agents import Address
from gt.errors import GtError
from gt.town import Town
from gt.whoami import agent_ledger
from gt.work import cached, checklist, formulas


def molecule_root(town: Town, address: Address, molecule: str | None = None) -> str:
    """The molecule the agent works: the one named, else the one on its hook."""
    db = cached.agent_db(town, address)
    if molecule:
        return record.root_id(db, molecule)
    bead = cached.hooked(town, address)
    if bead is None:
        raise GtError(f"nothing is on {address}'s hook")
    if record.info_of(bead) is None:
        if record.step_of(bead) is not None:
            raise GtError(f"{bead['id']} on your hook is one step of molecule "
                          f"{bead.get('parent')}: do it, commit, then run `gt done`")
        raise GtError(f"{bead['id']} on your hook is not a molecule: do it, then `gt done`")
    return str(bead["id"])


def current(town: Town, address: Address, molecule: str | None = None) -> dict[str, Any]:
    """The molecule's progress, its current step in full and the next titles."""
    db = cached.agent_db(town, address)
    section = _checklist(db, molecule_root(town, address, molecule))
    return {**section, "next_step": checklist.next_step_text(section)}


def _checklist(db: Any, root: str) -> dict[str, Any]:
    section = checklist.for_bead(db, query.get(db, root))
    # A molecule squashed or burned (by its formula's [squash] on completion, say) is
    # shown all the same, from its steps as they were left.
    return section if section is not None else checklist.compact(record.load(db, root))


def step_done(town: Town, address: Address, step: str | None = None,
              reason: str | None = None, molecule: str | None = None) -> dict[str, Any]:
    """Finish a step (the current one by default): one commit. Says what comes next, or to
    run `gt done` after the last step."""
    from beads.mol import lifecycle

    root = molecule_root(town, address, molecule)
    ledger = agent_ledger(town, address, str(address))
    result = lifecycle.step_done(ledger, root, step, reason)
    after = _checklist(ledger.db(), root)
    out = {"molecule": root, "finished": result["finished"], **after,
           "next_step": checklist.next_step_text(after)}
    found = record.load(ledger.db(), root) if after["complete"] else None
    if found is not None and _is_patrol(found):
        lifecycle.burn(ledger, root, "patrol round finished")
        out["rearmed"] = _pour_patrol(ledger, found.proto, str(found.info["attached_to"]))
        out["next_step"] = (f"Patrol round finished; the reactor wakes you for the next "
                            f"(patrol {out['rearmed']}).")
    return out


def _is_patrol(molecule: record.Molecule) -> bool:
    return bool(molecule.ephemeral and molecule.info.get("attached_to")
                and (molecule.info.get("vars") or {}).get("wake_on"))


def _pour_patrol(ledger: Any, proto: Any, agent_id: str) -> str:
    from beads.mol.pouring import pour

    return pour(ledger, proto, attach_to=agent_id, ephemeral=True, inline=True).root


def start_patrol(town: Town, address: Address, formula: str,
                 variables: dict[str, str]) -> dict[str, Any]:
    """Attach a patrol formula to the agent as a wisp (nothing committed): the reactor wakes
    the agent when an event its `wake_on` variable names lands."""
    ledger = agent_ledger(town, address, str(address))
    proto, _ = formulas.cook(town, formula, variables, "", address.rig, ledger.db)
    if not proto.vars.get("wake_on"):
        raise GtError(f"formula '{proto.formula}' is not a patrol: it has no wake_on "
                      "variable naming the events that wake it")
    root = _pour_patrol(ledger, proto, address.bead_id(ledger.prefix))
    return {"agent": str(address), "molecule": root, "formula": proto.formula,
            "wake_on": proto.vars["wake_on"].split(",")}


def advance(town: Town, bead_id: str) -> list[str]:
    """After `bead_id` closed: sling the convoy molecule's steps it made ready, and close
    the root a convoy molecule made once every step is done. Returns lines for the log."""
    try:
        ledger = town.ledger_for(bead_id)
        db = ledger.db()
        bead = cached.bead(db, bead_id)
        if bead is None or record.step_of(bead) is None or not bead.get("parent"):
            return []
        molecule = record.load(db, str(bead["parent"]))
    except (BeadsError, GtError):
        return []
    if molecule.info.get("proto", {}).get("type") != "convoy" \
            or molecule.state != record.ACTIVE:
        return []
    rig = _rig_of(town, bead_id)
    lines = []
    for step in molecule.steps:
        if rig and step.bead and not step.assignee and progress.state(step) == progress.READY:
            lines.append(_sling_step(town, step.bead, rig))
    if progress.complete(molecule) and molecule.root.get("status") == "open":
        ledger.close([molecule.id], reason="every step of the convoy landed", force=True)
        lines.append(f"closed convoy molecule {molecule.id}")
    return lines


def _sling_step(town: Town, step_bead: str, rig: str) -> str:
    from gt.work.sling import sling

    try:
        slung = sling(town, step_bead, rig, convoy=False, actor="gt")
    except GtError as exc:
        # Another scan (or a person) slung it first: the sling refuses a bead on a hook.
        return f"{step_bead} not slung: {exc.message}"
    return f"slung {step_bead} to {slung.agent} ({slung.wake})"


def _rig_of(town: Town, bead_id: str) -> str | None:
    prefix = bead_id.split("-", 1)[0]
    for name, settings in town.settings.rigs.items():
        if settings.prefix == prefix:
            return name
    return None

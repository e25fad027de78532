"""`gt sling <formula>`: pour a formula and put it on a worker's hook.

- A workflow formula `--on <bead>` is poured onto the bead (it becomes the molecule's root,
  its steps the bead's children) and the bead is hooked: ONE ledger commit, the pour's plan
  and the hook's composed (`sling(plan_for=...)`). Without `--on`, a fresh molecule root is
  made and hooked in that one commit too. The steps are assigned to the worker in the same
  events, so nobody else takes them from `bd ready`; the worker walks them with `gt mol`.
- A convoy formula is poured (one commit), then each leg's step bead is slung to its own
  polecat of the rig, one sling each, in parallel; the synthesis step waits on every leg and
  the reactor slings it when the last leg lands (`gt.work.steps.advance`). A convoy of the
  town tracks every step, so its owner hears when all have landed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beads.errors import NotFound
from beads.formula import Protomolecule
from beads.model import now_iso
from beads.mol.pouring import Poured, plan_pour
from beads.store import Intent
from beads.view import View
from gt.agents import Address
from gt.errors import GtError
from gt.rig import Rig
from gt.town import Town
from gt.work import convoy as convoys
from gt.work import formulas
from gt.work.sling import Busy, hook_plan, sling


def sling_formula(town: Town, formula: str, target: str, *, on: str | None = None,
                  variables: Mapping[str, str] | None = None, preset: str = "",
                  args: str | None = None, force: bool = False, convoy: bool = True,
                  runtime: str | None = None, actor: str = "gt",
                  start: bool = True) -> dict[str, Any]:
    """Pour `formula` (onto `on`, else a fresh root) and sling it to `target` (see module)."""
    rig_name = target if target in town.rig_names() else Address.parse(target).rig
    ledger = Rig(town, rig_name).ledger(actor) if rig_name else town.ledger(actor)
    proto, from_proto = formulas.cook(town, formula, dict(variables or {}), preset, rig_name,
                                      ledger.db)
    if proto.type == "convoy":
        if rig_name is None or target != rig_name:
            raise GtError(f"'{proto.formula}' is a convoy formula: its legs go to separate "
                          "polecats, so sling it to a rig (gt sling <formula> <rig>)")
        return _sling_convoy(town, rig_name, proto, from_proto, on, convoy, runtime, actor,
                             start)
    poured: list[Poured] = []

    def plan_for(bead_id: str, agent_id: str, address: Address, force_: bool,
                 args_: str | None, runtime_: str | None) -> Any:
        def plan(view: View) -> tuple[list[Intent], str]:
            attach = on and bead_id
            intents, made = plan_pour(view, proto, ledger.actor, attach_to=attach or None,
                                      from_proto=from_proto)
            _assign_steps(view, intents, made, str(address))
            if attach:
                hooks, _ = hook_plan(bead_id, agent_id, address, force_, args_,
                                     runtime_)(view)
            else:
                hooks = _hook_new(view, made.root, agent_id, address, args_, runtime_)
            poured[:] = [made]
            return intents + hooks, made.root

        return plan

    slung = sling(town, on or "", target, args=args, force=force, convoy=convoy,
                  runtime=runtime, actor=actor, start=start, plan_for=plan_for)
    return {**slung.to_dict(), "formula": proto.formula, "molecule": poured[0].root,
            "steps": len(proto.steps), "attached": bool(on), "legs": []}


def _assign_steps(view: View, intents: list[Intent], poured: Poured, assignee: str) -> None:
    """The worker's name on each step bead the pour creates (part of its create event)."""
    steps = set(poured.steps.values())
    value = view.vocab.field("assignee", assignee)
    for intent in intents:
        if intent.op == "create" and intent.bead in steps:
            intent.data["fields"]["assignee"] = value


def _hook_new(view: View, root: str, agent_id: str, address: Address,
              args: str | None, runtime: str | None) -> list[Intent]:
    """Hook a molecule root made in this same commit (`hook_plan` hooks existing beads)."""
    agent = view.live(agent_id)
    if agent is None:
        raise NotFound(f"no bead {agent_id!r}")
    if agent.get("hook_bead"):
        raise Busy(f"{address} already has {agent['hook_bead']} on its hook")
    fields: dict[str, Any] = {"status": "hooked", "assignee": str(address)}
    if args:
        fields["sling_args"] = args
    return [Intent("update", root, {"set": fields}),
            Intent("update", agent_id, {"set": {"hook_bead": root, "agent_state": "working",
                                                "hook_runtime": runtime,
                                                "hooked_at": now_iso()}})]


def _sling_convoy(town: Town, rig_name: str, proto: Protomolecule, from_proto: str | None,
                  on: str | None, convoy: bool, runtime: str | None, actor: str,
                  start: bool) -> dict[str, Any]:
    from beads.mol.pouring import pour

    ledger = Rig(town, rig_name).ledger(actor)
    poured = pour(ledger, proto, attach_to=on, from_proto=from_proto)
    legs = [step.id for step in proto.steps if not step.needs]
    slung = []
    for leg in legs:
        slung.append(sling(town, poured.steps[leg], rig_name, convoy=False, runtime=runtime,
                           actor=actor, start=start).to_dict())
    convoy_id = None
    if convoy:
        title = f"Convoy: {proto.title}"[:500]
        convoy_id = convoys.create(town, title, list(poured.steps.values()), actor=actor)["id"]
    return {"bead": poured.root, "agent": None, "branch": None, "convoy": convoy_id,
            "wake": f"{len(slung)} legs slung", "formula": proto.formula,
            "molecule": poured.root, "steps": len(proto.steps), "attached": bool(on),
            "legs": slung}

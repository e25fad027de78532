"""`gt sling <formula>`: pour a formula and put it on a worker's hook.

- A workflow formula `--on <bead>` is poured onto the bead (it becomes the molecule's root,
  its steps the bead's children) and the bead is hooked: ONE ledger commit, the pour's plan
  and the hook's composed (`sling(pour=...)`). Without `--on`, a fresh molecule root is
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

from beads.formula import Protomolecule
from beads.mol.pouring import Poured, plan_pour
from beads.store import Intent
from beads.view import View
from gt.agents import Address
from gt.errors import GtError
from gt.rig import Rig
from gt.town import Town
from gt.work import convoy as convoys
from gt.work import formulas
from gt.work.sling import sling


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
    on_id = ledger.resolve(on) if on else None
    poured: list[Poured] = []

    def pour(view: View, address: Address) -> tuple[list[Intent], str]:
        intents, made = plan_pour(view, proto, ledger.actor, attach_to=on_id,
                                  from_proto=from_proto)
        _assign_steps(view, intents, made, str(address))
        poured[:] = [made]
        return intents, made.root

    slung = sling(town, "", target, args=args, force=force, convoy=convoy, runtime=runtime,
                  actor=actor, start=start, pour=pour)
    return {**slung.to_dict(), "formula": proto.formula, "molecule": poured[0].root,
            "steps": len(proto.steps), "attached": bool(on), "legs": []}


def _assign_steps(view: View, intents: list[Intent], poured: Poured, assignee: str) -> None:
    """The worker's name on each step bead the pour creates (part of its create event)."""
    steps = set(poured.steps.values())
    value = view.vocab.field("assignee", assignee)
    for intent in intents:
        if intent.op == "create" and intent.bead in steps:
            intent.data["fields"]["assignee"] = value


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

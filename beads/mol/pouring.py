"""Pouring: a protomolecule into the ledger as a molecule, in one write.

`plan_pour` returns the events: the root (a new `molecule` bead, or an update of the bead
the molecule is poured onto), then one create per step (`<root>.<n>`, in the
protomolecule's order) with a `parent-child` link to the root and a `blocks` link to each
step it needs. It is O(steps): ids are numbered, not minted or searched for, and every link
names a bead of the same write, so nothing is read back while planning; the writer folds
the events and builds the tree once. A wisp molecule goes to the overlay instead; by
default only its root, which keeps the steps inline (`record`), unless the formula says
`pour = true`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from beads import creation, guards
from beads.creation import NewBead
from beads.errors import BeadsError, GuardError, InvalidInput
from beads.formula import Protomolecule, ProtoStep
from beads.ids import check_id, child_id
from beads.mol import record
from beads.store import Intent

if TYPE_CHECKING:
    from beads.ledger import Ledger
    from beads.view import View

# Protomolecule step fields that become bead fields; the rest go in the step record.
_BEAD_FIELDS = ("title", "description", "acceptance", "assignee", "labels", "priority",
                "notes")


@dataclass
class Poured:
    """What a pour made: the root, each step's bead (by step id), and how it is kept."""

    root: str
    steps: dict[str, str] = field(default_factory=dict)
    ephemeral: bool = False
    inline: bool = False
    attached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root, "steps": self.steps, "ephemeral": self.ephemeral,
                "inline": self.inline, "attached": self.attached}


def pour(ledger: Ledger, proto: Protomolecule, *, attach_to: str | None = None,
         ephemeral: bool = False, inline: bool | None = None,
         from_proto: str | None = None) -> Poured:
    """Pour `proto` as a molecule in one commit (a wisp: in the overlay, no commit).

    `attach_to` names a bead: a durable molecule makes it the root (its steps become the
    bead's children, numbered after any it has); a wisp records it as `attached_to`.
    `inline` keeps a wisp's steps in its root (default: unless the formula says
    `pour = true`). `from_proto` is the protomolecule bead it came from, if any.
    """
    if not proto.steps:
        raise InvalidInput(f"formula '{proto.formula}' has no steps to pour (a {proto.type} "
                           "formula; an aspect is woven into workflows with [compose] aspects)")
    if inline is None:
        inline = ephemeral and not proto.pour
    if inline and not ephemeral:
        raise InvalidInput("only a wisp keeps its steps inline; a poured molecule's steps "
                           "are beads")
    target = ledger.resolve(attach_to) if attach_to else None

    def plan(view: View) -> tuple[list[Intent], Poured]:
        return plan_pour(view, proto, ledger.actor, attach_to=target, ephemeral=ephemeral,
                         inline=inline, from_proto=from_proto)

    kind = "wisp" if ephemeral else "pour"
    summary = f"{kind} {proto.formula} ({len(proto.steps)} steps)"
    if target:
        summary += f" onto {target}"
    return ledger.write_plan(summary, plan)


def plan_pour(view: View, proto: Protomolecule, actor: str, *, attach_to: str | None = None,
              ephemeral: bool = False, inline: bool = False,
              from_proto: str | None = None) -> tuple[list[Intent], Poured]:
    """The events of a pour, checked against `view` (see the module)."""
    count = 0 if inline else len(proto.steps)
    if attach_to is not None and not ephemeral:
        intents, first = _attach(view, attach_to, proto, count, from_proto)
        root = attach_to
    else:
        info = molecule_info(proto, inline=inline, first=1, count=count,
                             from_proto=from_proto, attached_to=attach_to)
        if attach_to is not None:
            guards.live(view, attach_to)
        spec = NewBead(title=proto.title, ephemeral=ephemeral, labels=[record.ROOT_LABEL],
                       fields={"issue_type": "molecule", "description": proto.description,
                               "metadata": {record.INFO_KEY: info}})
        intent = creation.plan_create(view, spec, actor)
        intents, first, root = [intent], 1, intent.bead
    poured = Poured(root, ephemeral=ephemeral, inline=inline,
                    attached=attach_to is not None and not ephemeral)
    if inline:
        return intents, poured
    poured.steps = {step.id: f"{root}.{n}" for n, step in enumerate(proto.steps, start=first)}
    for step in proto.steps:
        bead_id = poured.steps[step.id]
        try:
            intents.append(_step_intent(view, step, bead_id, root, poured.steps, actor,
                                        ephemeral))
        except BeadsError as exc:
            raise type(exc)(f"step '{step.id}': {exc.message}") from None
    return intents, poured


def molecule_info(proto: Protomolecule, *, inline: bool, first: int, count: int,
                  from_proto: str | None = None,
                  attached_to: str | None = None) -> dict[str, Any]:
    """The molecule record a root keeps (`record`)."""
    data = proto.to_dict()
    if not inline:
        data["steps"] = []
    info: dict[str, Any] = {"formula": proto.formula, "version": proto.version,
                            "vars": dict(proto.vars), "proto": data, "first": first,
                            "count": count, "state": record.ACTIVE}
    if from_proto:
        info["from_proto"] = from_proto
    if attached_to:
        info["attached_to"] = attached_to
    if inline:
        info["done"] = {}
    return info


def _attach(view: View, bead_id: str, proto: Protomolecule, count: int,
            from_proto: str | None) -> tuple[list[Intent], int]:
    """Make an existing bead the molecule's root: its record, its label, its next child."""
    doc = guards.live(view, bead_id)
    if view.is_wisp(bead_id):
        raise InvalidInput(f"{bead_id} is a wisp: pour a wisp molecule onto it instead "
                           "(bd mol wisp --on)")
    existing = record.info_of(doc)
    if existing is not None and existing.get("state", record.ACTIVE) == record.ACTIVE:
        raise GuardError(f"{bead_id} already carries molecule '{existing.get('formula')}': "
                         f"squash or burn it first (bd mol squash|burn {bead_id})")
    first = int(child_id(bead_id, view.taken(bead_id)).rsplit(".", 1)[1])
    info = molecule_info(proto, inline=False, first=first, count=count, from_proto=from_proto)
    metadata = dict(doc.get("metadata") or {}) if isinstance(doc.get("metadata"), dict) else {}
    metadata[record.INFO_KEY] = info
    intents = [Intent("update", bead_id,
                      {"set": {"metadata": view.vocab.field("metadata", metadata)}})]
    if record.ROOT_LABEL not in doc["labels"]:
        intents.append(Intent("label.add", bead_id, {"label": record.ROOT_LABEL}))
    return intents, first


def _step_intent(view: View, step: ProtoStep, bead_id: str, root: str,
                 ids: dict[str, str], actor: str, ephemeral: bool) -> Intent:
    vocab = view.vocab
    check_id(bead_id)
    issue_type = step.bead_type if step.bead_type in vocab.types else "task"
    fields: dict[str, Any] = {"title": vocab.field("title", step.title), "status": "open",
                              "priority": vocab.field("priority", step.priority)
                              if step.priority is not None else 2,
                              "issue_type": issue_type, "created_by": actor}
    for name, value in (("description", step.description),
                        ("acceptance_criteria", step.acceptance),
                        ("assignee", step.assignee), ("notes", step.notes)):
        if value:
            fields[name] = vocab.field(name, value)
    step_record = {k: v for k, v in step.to_dict().items() if k not in _BEAD_FIELDS}
    step_record.setdefault("needs", [])
    fields["metadata"] = {record.STEP_KEY: step_record}
    if ephemeral:
        fields["ephemeral"] = True
        view.new_wisps.add(bead_id)
    view.new_ids.add(bead_id)
    deps = [{"type": "parent-child", "target": root}]
    deps += [{"type": "blocks", "target": ids[need]} for need in step.needs]
    data: dict[str, Any] = {"fields": fields, "deps": deps}
    if step.labels:
        data["labels"] = sorted({guards.check_label(label) for label in step.labels})
    return Intent("create", bead_id, data)


def store_proto(ledger: Ledger, proto: Protomolecule) -> dict[str, Any]:
    """`bd cook`: keep a protomolecule as a bead (type `molecule`, label `template`) in one
    commit, so it can be poured later without its formula file."""
    if not proto.steps:
        raise InvalidInput(f"formula '{proto.formula}' has no steps to cook (a {proto.type} "
                           "formula)")
    spec = NewBead(title=proto.title, labels=[record.TEMPLATE_LABEL],
                   fields={"issue_type": "molecule", "description": proto.description,
                           "metadata": {record.PROTO_KEY: proto.to_dict()}})

    def plan(view: View) -> tuple[list[Intent], str]:
        intent = creation.plan_create(view, spec, ledger.actor)
        return [intent], intent.bead

    bead_id = ledger.write_plan(f"cook {proto.formula} ({len(proto.steps)} steps)", plan)
    return ledger.get(bead_id)

"""Creating a bead: `NewBead`, what `bd create` is given, and the create event planned for it.

`plan_create(view, spec, actor)` returns the one `create` intent for `spec`, checked against
`view` (`beads.guards`): fields the ledger sets are refused, a new bead starts open, a chosen
id must be free, the parent and every link target must be live (a foreign `tracks` target
excepted). The new id is a chosen one, the parent's next child, or minted from the title and
actor (`beads.ids.mint`); it is recorded in `view.new_ids` (and `view.new_wisps` for a wisp),
so later creates of the same write see it. Ids and targets arrive resolved: resolving
partial ids needs the read cache, which is the API's job (`beads.ledger`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from beads import guards
from beads.errors import InvalidInput
from beads.ids import child_id, mint
from beads.store import Intent

if TYPE_CHECKING:
    from beads.view import View

# Minting retries before giving up; every second retry lengthens the hash by one character.
MINT_ATTEMPTS = 8
# What a new bead is when not told otherwise (Beads' defaults too); an import fills them in.
DEFAULTS = {"status": "open", "priority": 2, "issue_type": "task"}


@dataclass
class NewBead:
    """Everything `create` needs for one bead."""

    title: str
    fields: dict[str, Any] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    deps: list[tuple[str, str]] = field(default_factory=list)
    parent: str | None = None
    ephemeral: bool = False
    bead_id: str | None = None


def plan_create(view: View, spec: NewBead, actor: str) -> Intent:
    """The create event for `spec` by `actor`, checked against `view`."""
    vocab = view.vocab
    fields: dict[str, Any] = {"title": vocab.field("title", spec.title)}
    for name, value in spec.fields.items():
        guards.check_settable(name, "create")
        if value is not None:
            fields[name] = vocab.field(name, value)
    for name, value in DEFAULTS.items():
        fields.setdefault(name, value)
    fields["created_by"] = actor
    guards.check_opens(fields)
    ephemeral = spec.ephemeral or bool(fields.get("ephemeral"))
    if spec.parent and view.is_wisp(spec.parent):
        ephemeral = True
    if ephemeral:
        fields["ephemeral"] = True
    bead_id = new_id(view, spec, ephemeral, actor)
    deps = [{"type": view.vocab.dep_type(t), "target": target} for t, target in spec.deps]
    for dep in deps:
        guards.check_link(view, dep["type"], dep["target"])
    if spec.parent:
        guards.live(view, spec.parent)
        deps.append({"type": "parent-child", "target": spec.parent})
    view.new_ids.add(bead_id)
    if ephemeral:
        view.new_wisps.add(bead_id)
    data: dict[str, Any] = {"fields": fields}
    if spec.bead_id:
        data["named"] = True  # an id chosen, not minted: see beads.twins
    if spec.labels:
        data["labels"] = sorted(set(spec.labels))
    if deps:
        data["deps"] = deps
    return Intent("create", bead_id, data)


def new_id(view: View, spec: NewBead, ephemeral: bool, actor: str) -> str:
    """The id of the bead `spec` creates: chosen, the parent's next child, or minted."""
    if spec.bead_id:
        return guards.check_new_id(view, spec.bead_id)
    if spec.parent:
        return child_id(spec.parent, view.taken(spec.parent))
    prefix = view.snap.meta["prefix"] + ("-wisp" if ephemeral else "")
    count = view.snap.meta["count"] + len(view.new_ids) + len(view.wisp_ids)
    for attempt in range(MINT_ATTEMPTS):
        bead_id = mint(prefix, count, f"{spec.title}\0{actor}", attempt // 2)
        if bead_id not in view.new_ids and bead_id not in view.wisp_ids \
                and view.snap.doc(bead_id) is None:
            return bead_id
    raise InvalidInput("could not mint a fresh id; try again")

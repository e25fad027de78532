"""Taking a hook in one ledger commit, and giving it back when the sling fails after it.

`hook_plan` is the compare-and-swap plan of `gt sling`'s commit. For a rig it chooses the
polecat inside the plan: the first idle one, else the first name no bead of the rig has,
among those whose worktree lock this process can take at once; a new polecat's agent bead is
created in the same commit. A replan after losing a race sees the winner's commit and chooses
again, so slings racing for one rig take distinct polecats. A `pour` makes the work in the
same commit (a molecule, `gt.work.molsling`). The plan remembers what it changed (`Hooked`).

`give_back` is the compensating commit of a sling that failed after its hook: one commit,
whose summary says why, puts back every field the hook set that nobody has changed since
(the queue's label too). A polecat's agent bead made by the failed sling stays, idle: an id
is never reused once deleted, and the name stays in the rig's pool.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beads import Ledger
from beads.creation import NewBead
from beads.errors import NotFound
from beads.model import now_iso
from beads.store import Intent
from beads.view import View
from gt.agents import POLECAT_NAMES, Address, agent_fields
from gt.control import admission, queue
from gt.errors import GtError
from gt.town import Town

# Intents that make the work in the hook's own commit, and the id of the bead to hook.
Pour = Callable[[View, Address], tuple[list[Intent], str]]


class Busy(GtError):
    code = "agent_busy"


def worktree_lock_path(town: Town, address: Address) -> Path:
    return town.state_dir / "worktrees" / f"{address.session}.lock"


@dataclass
class WorktreeLocks:
    """Polecats' worktree locks held by this process: taken without waiting while a plan
    chooses a polecat, so a polecat another sling is readying is passed over, not awaited."""

    town: Town
    held: dict[str, int] = field(default_factory=dict)

    def take(self, address: Address, wait: bool = False) -> bool:
        """Hold the agent's lock (True), or False when another process holds it and `wait`
        is not set."""
        if address.session in self.held:
            return True
        path = worktree_lock_path(self.town, address)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        self.held[address.session] = fd
        return True

    def keep_only(self, address: Address) -> None:
        for session in [s for s in self.held if s != address.session]:
            os.close(self.held.pop(session))

    def release(self) -> None:
        for fd in self.held.values():
            os.close(fd)
        self.held.clear()


@dataclass
class Hooked:
    """What a hook commit did: the bead hooked, the agent chosen, each bead's fields it set
    (with the values they had before and the values it gave them), the labels it removed."""

    bead: str
    address: Address
    agent: dict[str, Any]
    before: dict[str, dict[str, Any]] = field(default_factory=dict)
    after: dict[str, dict[str, Any]] = field(default_factory=dict)
    unlabelled: list[tuple[str, str]] = field(default_factory=list)

    def change(self, bead_id: str, doc: dict[str, Any], fields: dict[str, Any]) -> Intent:
        self.note(bead_id, {name: doc.get(name) for name in fields}, fields)
        return Intent("update", bead_id, {"set": fields})

    def note(self, bead_id: str, before: dict[str, Any], after: dict[str, Any]) -> None:
        self.before.setdefault(bead_id, {}).update(before)
        self.after.setdefault(bead_id, {}).update(after)


def _idle(doc: dict[str, Any]) -> bool:
    return doc.get("agent_state", "idle") == "idle" and not doc.get("hook_bead")


def _new_names(view: View, rig: str, prefix: str) -> Iterator[str]:
    """Names no bead of this rig has (not even a deleted one): the pool's, then numbered."""
    names = [*POLECAT_NAMES, *(f"polecat{n}" for n in range(1, 10_000))]
    for name in names:
        if view.doc(Address("polecat", rig, name).bead_id(prefix)) is None:
            yield name


def _choose(view: View, rig: str, known: list[str], locks: WorktreeLocks
            ) -> tuple[Address, dict[str, Any] | None]:
    """The polecat for a sling to `rig`: an idle one (of `known`, the rig's polecats as the
    read cache lists them, and the pool), else a new name; either one whose worktree lock
    this process holds. Returns it with its agent bead (None when it is new)."""
    prefix = view.snap.meta["prefix"]
    for name in dict.fromkeys([*known, *POLECAT_NAMES]):
        address = Address("polecat", rig, name)
        doc = view.live(address.bead_id(prefix))
        if doc is not None and _idle(doc) and locks.take(address):
            return address, doc
    for name in _new_names(view, rig, prefix):
        address = Address("polecat", rig, name)
        if locks.take(address):
            return address, None
    raise GtError(f"no free polecat in {rig}")


@dataclass
class HookRequest:
    """What a sling asks of its hook commit: the bead (empty when `pour` makes it), and the
    target, an agent's address or a rig's name (a polecat of it is chosen in the plan)."""

    bead: str
    target: Address | str
    force: bool = False
    args: str | None = None
    runtime: str | None = None
    home: str = ""
    known: tuple[str, ...] = ()
    pour: Pour | None = None


def hook_plan(ledger: Ledger, request: HookRequest, locks: WorktreeLocks) -> Any:
    """The plan of the hook commit (see the module). Its result is a `Hooked`."""

    def plan(view: View) -> tuple[list[Intent], Hooked]:
        intents: list[Intent] = []
        if isinstance(request.target, str):
            address, agent = _choose(view, request.target, list(request.known), locks)
        else:
            address = request.target
            agent = view.live(address.bead_id(view.snap.meta["prefix"]))
        if agent is None:
            create = ledger.plan_create(view, _agent_spec(address, view, request))
            intents.append(create)
            agent = {"id": create.bead, **create.data["fields"]}
        made: list[Intent] = []
        bead_id = request.bead
        if request.pour is not None:
            made, bead_id = request.pour(view, address)
        hooked = Hooked(bead_id, address, agent)
        intents += made
        intents += _hook(view, hooked, made, request)
        return intents, hooked

    return plan


def _hook(view: View, hooked: Hooked, made: list[Intent], request: HookRequest
          ) -> list[Intent]:
    """The bead hooked to the agent (and taken from its previous holder and the queue)."""
    bead_id, address, agent = hooked.bead, hooked.address, hooked.agent
    for intent in made:  # work made in this commit and given to the agent already
        if intent.op == "create" and intent.data["fields"].get("assignee") is not None:
            hooked.note(intent.bead, {"assignee": None}, {"assignee": str(address)})
    created = any(i.op == "create" and i.bead == bead_id for i in made)
    bead = {"id": bead_id, "status": "open"} if created else view.live(bead_id)
    if bead is None:
        raise NotFound(f"no bead {bead_id!r}")
    admission.check_slingable(bead, request.force, str(address))
    holder = bead.get("assignee")
    held = bead["status"] in ("hooked", "in_progress") and holder and holder != str(address)
    if agent.get("hook_bead") and agent["hook_bead"] != bead_id:
        raise Busy(f"{address} already has {agent['hook_bead']} on its hook")
    intents = []
    if held:
        previous = _agent_of(view, str(holder))
        if previous is not None:
            intents.append(hooked.change(previous["id"], previous,
                                         {"hook_bead": None, "agent_state": "idle"}))
    unqueue, unlabel = queue.cleared(bead)
    fields: dict[str, Any] = {"status": "hooked", "assignee": str(address), **unqueue}
    if request.args:
        fields["sling_args"] = request.args
    intents.append(hooked.change(bead_id, bead, fields))
    intents += unlabel
    hooked.unlabelled += [(i.bead, i.data["label"]) for i in unlabel]
    # The runtime chosen with the hook (None: the town's choice) goes in the same commit, so
    # whoever starts the session (the reactor's wake, sling, a restart) uses it.
    intents.append(hooked.change(agent["id"], agent,
                                 {"hook_bead": bead_id, "agent_state": "working",
                                  "hook_runtime": request.runtime, "hooked_at": now_iso()}))
    return intents


def _agent_spec(address: Address, view: View, request: HookRequest) -> NewBead:
    return NewBead(str(address), fields=agent_fields(address, request.runtime, request.home),
                   bead_id=address.bead_id(view.snap.meta["prefix"]))


def _agent_of(view: View, address_text: str) -> dict[str, Any] | None:
    try:
        address = Address.parse(address_text)
    except GtError:
        return None
    return view.live(address.bead_id(view.snap.meta["prefix"]))


def give_back(ledger: Ledger, hooked: Hooked, reason: str) -> None:
    """One commit that undoes `hooked` where nobody changed a field since; its summary
    names the bead and why the sling failed (its events name the agent)."""

    def plan(view: View) -> tuple[list[Intent], None]:
        intents = []
        for changed, before in hooked.before.items():
            doc = view.live(changed)
            if doc is None:
                continue
            restore = {name: value for name, value in before.items()
                       if doc.get(name) == hooked.after[changed][name]}
            if restore:
                intents.append(Intent("update", changed, {"set": restore}))
        for bead_id, label in hooked.unlabelled:
            doc = view.live(bead_id)
            if doc is not None and label not in doc.get("labels", []):
                intents.append(Intent("label.add", bead_id, {"label": label}))
        return intents, None

    ledger.write_plan(f"give back {hooked.bead}: {reason}", plan)

"""`gt sling`: put a bead on a worker's hook in ONE ledger commit, then start or wake it.

The commit hooks the bead (status hooked, assignee the agent) and sets the agent's
`hook_bead`; the check that the agent is free happens inside the compare-and-swap plan, so two
slings racing for one idle polecat cannot both win it. Also `unsling`/`release` and the hook.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from beads import Ledger
from beads.errors import BeadsError, NotFound
from beads.locks import exclusive
from beads.model import INFRA_TYPES, check_utf8, now_iso
from beads.query import Filters
from beads.store import Intent
from beads.view import View
from gt.agents import POLECAT_NAMES, Address, ensure_agent, homed_here
from gt.control import admission, queue
from gt.errors import GtError
from gt.git import out
from gt.launch import stop
from gt.launch import wake as wake_agent
from gt.reactor.lock import running_pid
from gt.rig import Rig
from gt.runtimes import presets
from gt.town import Town
from gt.whoami import agent_ledger
from gt.work import convoy as convoys


@dataclass
class Slung:
    bead: str
    agent: str
    branch: str | None
    convoy: str | None
    wake: str
    queued: str | None = None  # why the work waits in the queue (`gt.control.queue`)

    def to_dict(self) -> dict[str, Any]:
        return {"bead": self.bead, "agent": self.agent, "branch": self.branch,
                "convoy": self.convoy, "wake": self.wake, "queued": self.queued}


class Busy(GtError):
    code = "agent_busy"


def _polecats(ledger: Ledger, rig: str) -> list[dict[str, Any]]:
    agents = ledger.list(Filters(types=["agent"]), sort="id", limit=None)
    return [a for a in agents if a.get("role") == "polecat" and a.get("rig") == rig]


def pick_polecat(rig: Rig, ledger: Ledger) -> Address:
    """An idle polecat of the rig, or a new one named from the pool."""
    polecats = _polecats(ledger, rig.name)
    for agent in polecats:
        if agent.get("agent_state", "idle") == "idle" and not agent.get("hook_bead"):
            return Address.parse(agent["title"])
    taken = {Address.parse(a["title"]).name for a in polecats}
    for name in POLECAT_NAMES:
        if name not in taken:
            return Address("polecat", rig.name, name)
    number = len(taken) + 1
    while f"polecat{number}" in taken:
        number += 1
    return Address("polecat", rig.name, f"polecat{number}")


def _resolve_bead(town: Town, ledger: Ledger, bead_ref: str) -> str:
    try:
        return ledger.resolve(bead_ref)
    except NotFound:
        prefix = bead_ref.split("-", 1)[0]
        if prefix != ledger.prefix and "-" in bead_ref:
            raise GtError(f"{bead_ref} lives in another ledger than the agent's "
                          f"({ledger.prefix}-*): sling a bead to an agent of its own rig") \
                from None
        raise


def hook_plan(bead_id: str, agent_id: str, address: Address, force: bool,
              args: str | None, runtime: str | None = None) -> Any:
    def plan(view: View) -> tuple[list[Intent], Any]:
        bead = view.live(bead_id)
        agent = view.live(agent_id)
        if bead is None or agent is None:
            raise NotFound(f"no bead {bead_id if bead is None else agent_id!r}")
        if bead["status"] == "closed":
            raise GtError(f"{bead_id} is closed; reopen it before slinging")
        if bead.get("issue_type") in INFRA_TYPES:
            raise GtError(f"{bead_id} is a {bead['issue_type']} bead, not work")
        holder = bead.get("assignee")
        if bead["status"] in ("hooked", "in_progress") and holder and holder != str(address) \
                and not force:
            raise GtError(f"{bead_id} is already on {holder}'s hook (use --force to re-sling)")
        if agent.get("hook_bead") and agent["hook_bead"] != bead_id:
            raise Busy(f"{address} already has {agent['hook_bead']} on its hook")
        intents = []
        if holder and holder != str(address) and bead["status"] in ("hooked", "in_progress"):
            previous = _agent_id_for(view, holder)
            if previous is not None:
                intents.append(Intent("update", previous,
                                      {"set": {"hook_bead": None, "agent_state": "idle"}}))
        unqueue, unlabel = queue.cleared(bead)
        fields: dict[str, Any] = {"status": "hooked", "assignee": str(address), **unqueue}
        if args:
            fields["sling_args"] = args
        intents.append(Intent("update", bead_id, {"set": fields}))
        intents += unlabel
        # The runtime chosen with the hook (None: the town's choice) goes in the same commit,
        # so whoever starts the session (the reactor's wake, sling, a restart) uses it.
        intents.append(Intent("update", agent_id,
                              {"set": {"hook_bead": bead_id, "agent_state": "working",
                                       "hook_runtime": runtime,
                                       "hooked_at": now_iso()}}))
        return intents, None

    return plan


def _agent_id_for(view: View, address_text: str) -> str | None:
    try:
        address = Address.parse(address_text)
    except GtError:
        return None
    agent_id = address.bead_id(view.snap.meta["prefix"])
    return agent_id if view.live(agent_id) is not None else None


def sling(town: Town, bead_ref: str, target: str, *, args: str | None = None,
          force: bool = False, convoy: bool = True, runtime: str | None = None,
          actor: str = "gt", start: bool = True, plan_for: Any = None) -> Slung:
    """`plan_for`, when given, replaces `hook_plan` (same arguments): a plan that also makes
    the work in the same commit (a molecule poured, `gt.work.molsling`) and returns the id of
    the bead it hooked. `bead_ref` may then be empty: the plan makes the bead."""
    if args is not None:
        check_utf8(args, "--args")
    if target in town.rig_names():
        rig: Rig | None = Rig(town, target)
        address = None
    else:
        address = Address.parse(target)
        rig = Rig(town, address.rig) if address.rig else None
    ledger = rig.ledger(actor) if rig else town.ledger(actor)
    bead_id = _resolve_bead(town, ledger, bead_ref) if bead_ref else ""
    if runtime is not None:
        presets.choose(town.settings, "polecat", runtime)  # an unknown runtime fails here
    held = admission.held(town, rig.name if rig else None, address)
    if held is not None and bead_id:
        return _queue(town, ledger, bead_id, target, held, args, force, convoy, actor)
    for _attempt in range(len(POLECAT_NAMES) + 1):
        chosen = address or pick_polecat(rig, ledger)  # type: ignore[arg-type]
        agent = ensure_agent(ledger, chosen, runtime, home=town.machine)
        try:
            with worktree_lock(town, chosen):
                # The hook is taken first: a sling that loses the race for this polecat
                # learns it here, before it touches the polecat's worktree.
                made = ledger.write_plan(f"sling {bead_id or 'a new molecule'} to {chosen}",
                                         (plan_for or hook_plan)(bead_id, agent["id"], chosen,
                                                                 force, args, runtime))
                bead_id = made or bead_id
                branch = _make_worktree(town, rig, chosen, bead_id,
                                        homed_here(agent, town.machine), actor)
            break
        except Busy:
            if address is not None:
                raise
    else:
        raise GtError(f"no free polecat in {target}")
    convoy_id = _convoy(town, ledger, bead_id, actor) if convoy else None
    wake = "not started"
    if start:
        if not homed_here(agent, town.machine):
            wake = f"homed on {agent['home']}: it starts there after the next sync"
        elif running_pid(town) is not None:
            wake = "the reactor wakes it"
        else:
            wake = wake_agent(town, chosen, runtime)
    return Slung(bead_id, str(chosen), branch, convoy_id, wake)


def _queue(town: Town, ledger: Ledger, bead_id: str, target: str, reason: str,
           args: str | None, force: bool, convoy: bool, actor: str) -> Slung:
    """Work that cannot start now waits in the ledger's queue; the reactor slings it when a
    slot frees (or the stop or park that held it is lifted)."""
    queue.enqueue(town, ledger, bead_id, target, reason, actor, args, force)
    convoy_id = _convoy(town, ledger, bead_id, actor) if convoy else None
    return Slung(bead_id, target, None, convoy_id, f"queued: {reason}", queued=reason)


def _convoy(town: Town, ledger: Ledger, bead_id: str, actor: str) -> str | None:
    """A convoy of its own for a bead no open convoy tracks yet; its id, or None."""
    if convoys.tracking(town, bead_id):
        return None
    title = ledger.get(bead_id)["title"]
    return str(convoys.create(town, f"Convoy: {title}"[:500], [bead_id], actor=actor)["id"])


def worktree_lock(town: Town, address: Address) -> AbstractContextManager[None]:
    """Held by `gt sling` from taking an agent's hook until its worktree is made, and by the
    reactor while it readies that worktree, so the reactor never wakes the agent in a
    worktree that is about to be replaced."""
    return exclusive(town.state_dir / "worktrees" / f"{address.session}.lock")


def _make_worktree(town: Town, rig: Rig | None, address: Address, bead_id: str, here: bool,
                   actor: str) -> str | None:
    """The polecat's worktree on `polecat/<name>/<bead>`; returns the branch (None for other
    roles). Made only on the polecat's home machine: for a polecat homed elsewhere, its own
    machine makes it when it wakes the polecat (`ready_for_wake`)."""
    if address.role != "polecat" or rig is None:
        return None
    branch = f"polecat/{address.name}/{bead_id}"
    if here:
        try:
            rig.add_worktree(rig.polecat_dir(str(address.name)), branch)
        except GtError:
            unsling(town, address, actor=actor)
            raise
    return branch


def ready_for_wake(town: Town, address: Address) -> bool:
    """Before the reactor wakes an agent: False when nothing is on its hook any more; for a
    polecat, its worktree put on the branch of the bead on its hook. A sling on this machine
    has made that worktree already; work slung on another machine, which makes no worktree
    for a polecat homed here, gets it now."""
    if address.role != "polecat" or address.rig is None:
        return hooked(town, address) is not None
    with worktree_lock(town, address):
        bead = hooked(town, address)
        if bead is None:
            return False
        rig = Rig(town, address.rig)
        path = rig.polecat_dir(str(address.name))
        branch = f"polecat/{address.name}/{bead['id']}"
        if not path.is_dir() or out("branch", "--show-current", cwd=path) != branch:
            rig.add_worktree(path, branch)
    return True


def hooked(town: Town, address: Address) -> dict[str, Any] | None:
    """The bead on the agent's hook, or None."""
    ledger = agent_ledger(town, address)
    try:
        agent = ledger.get(address.bead_id(ledger.prefix))
    except NotFound:
        return None
    bead_id = agent.get("hook_bead")
    if not bead_id:
        return None
    try:
        return ledger.get(bead_id)
    except BeadsError:
        return None


def unsling(town: Town, address: Address, actor: str = "gt", reopen: bool = True) -> str:
    """Take the bead off the agent's hook; the bead goes back to open (unassigned)."""
    ledger = agent_ledger(town, address, actor)
    agent_id = address.bead_id(ledger.prefix)
    agent = ledger.get(agent_id)
    bead_id = agent.get("hook_bead")
    if not bead_id:
        raise GtError(f"{address} has nothing on its hook")
    changes: dict[str, dict[str, Any]] = {agent_id: {"hook_bead": None, "agent_state": "idle"}}
    if reopen:
        changes[bead_id] = {"status": "open", "assignee": None}
    ledger.update_many(f"unsling {bead_id} from {address}", changes)
    return bead_id


def release(town: Town, address: Address, actor: str = "gt") -> str:
    """Free an agent: its work back to open, its session stopped."""
    bead_id = unsling(town, address, actor=actor)
    stop(town, address)
    return bead_id

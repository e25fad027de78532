"""`gt sling`: put a bead on a worker's hook in ONE ledger commit, then start or wake it.

The commit hooks the bead (status hooked, assignee the agent) and sets the agent's
`hook_bead`; the check that the agent is free, and the choice of a rig's polecat, happen inside
the compare-and-swap plan (`gt.work.hooking`), so slings racing for one rig each take their
own polecat. A target that names no one is refused before anything is written; a step after
the hook that fails (the worktree, the wake, the convoy) gives the hook back in one commit.
Also `unsling`/`release` and the hook.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from beads import Ledger
from beads.errors import BeadsError, NotFound
from beads.locks import exclusive
from beads.model import check_utf8
from beads.query import Filters
from gt.agents import Address, agent_bead, homed_here
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
from gt.work.hooking import (
    Hooked,
    HookRequest,
    Pour,
    WorktreeLocks,
    give_back,
    hook_plan,
    worktree_lock_path,
)


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


def _polecats(ledger: Ledger, rig: str) -> list[dict[str, Any]]:
    agents = ledger.list(Filters(types=["agent"]), sort="id", limit=None)
    return [a for a in agents if a.get("role") == "polecat" and a.get("rig") == rig]


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


def _target(town: Town, target: str) -> tuple[Rig | None, Address | None]:
    """The rig and the agent a sling names (no agent: a polecat of the rig, chosen when the
    hook is taken); refused before anything is written when it names no one."""
    if target in town.rig_names():
        return Rig(town, target), None
    address = Address.parse(target)
    rig = Rig(town, address.rig) if address.rig else None
    if rig is not None and address.role == "crew" and \
            not (rig.path / "crew" / str(address.name)).is_dir() and \
            agent_bead(rig.ledger(), address) is None:
        raise GtError(f"no crew member {address.name!r} in {rig.name} (add one with "
                      f"`gt crew add {address.name} --rig {rig.name}`)")
    return rig, address


def sling(town: Town, bead_ref: str, target: str, *, args: str | None = None,
          force: bool = False, convoy: bool = True, runtime: str | None = None,
          actor: str = "gt", start: bool = True, pour: Pour | None = None) -> Slung:
    """Hook the bead (one commit), make the polecat's worktree, wake the agent, track the
    bead in a convoy. When a step after the hook fails, the hook is given back in one commit
    that says why (`hooking.give_back`) before the error is raised.

    `pour`, when given, makes the work in the hook's commit (a molecule, `gt.work.molsling`)
    and names the bead to hook; `bead_ref` may then be empty."""
    if args is not None:
        check_utf8(args, "--args")
    rig, address = _target(town, target)
    ledger = rig.ledger(actor) if rig else town.ledger(actor)
    bead_id = _resolve_bead(town, ledger, bead_ref) if bead_ref else ""
    if runtime is not None:
        presets.choose(town.settings, "polecat", runtime)  # an unknown runtime fails here
    held = admission.held(town, rig.name if rig else None, address)
    if held is not None and pour is not None:
        raise GtError(f"{target} takes no new work now ({held}): the queue holds beads, not "
                      "formulas; sling the formula when it frees")
    if held is not None and bead_id:
        return _queue(town, ledger, bead_id, target, held, args, force, convoy, actor)
    request = HookRequest(bead_id, address or str(target), force, args, runtime,
                          town.machine, pour=pour)
    locks = WorktreeLocks(town)
    try:
        if address is not None:
            locks.take(address, wait=True)
        else:
            request.known = tuple(Address.parse(a["title"]).name
                                  for a in _polecats(ledger, target))
        # The polecat's worktree lock is held from its hook to its worktree: the reactor
        # never wakes it in a worktree about to be replaced.
        taken: Hooked = ledger.write_plan(lambda h: f"sling {h.bead} to {h.address}",
                                          hook_plan(ledger, request, locks))
        locks.keep_only(taken.address)
        try:
            branch = _make_worktree(rig, taken.address, taken.bead,
                                    homed_here(taken.agent, town.machine))
        except Exception as exc:
            give_back(ledger, taken, _reason(exc))
            raise
    finally:
        locks.release()
    return _start(town, ledger, taken, branch, convoy, start, actor)


def _start(town: Town, ledger: Ledger, taken: Hooked, branch: str | None, convoy: bool,
           start: bool, actor: str) -> Slung:
    """Wake the agent and track the bead in a convoy; a failure gives the hook back."""
    chosen, agent = taken.address, taken.agent
    wake = "not started"
    try:
        if start:
            if not homed_here(agent, town.machine):
                wake = f"homed on {agent['home']}: it starts there after the next sync"
            elif running_pid(town) is not None:
                wake = "the reactor wakes it"
            else:
                wake = wake_agent(town, chosen)
        convoy_id = _convoy(town, ledger, taken.bead, actor) if convoy else None
    except Exception as exc:
        if wake == "started":
            stop(town, chosen)
        give_back(ledger, taken, _reason(exc))
        raise
    return Slung(taken.bead, str(chosen), branch, convoy_id, wake)


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "message", None) or exc or type(exc).__name__)


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
    return exclusive(worktree_lock_path(town, address))


def _make_worktree(rig: Rig | None, address: Address, bead_id: str, here: bool) -> str | None:
    """The polecat's worktree on `polecat/<name>/<bead>`; returns the branch (None for other
    roles). Made only on the polecat's home machine: for a polecat homed elsewhere, its own
    machine makes it when it wakes the polecat (`ready_for_wake`)."""
    if address.role != "polecat" or rig is None:
        return None
    branch = f"polecat/{address.name}/{bead_id}"
    if here:
        rig.add_worktree(rig.polecat_dir(str(address.name)), branch)
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

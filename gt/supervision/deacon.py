"""The Deacon: a small deterministic loop (`gt deacon run`, a standing session started by
`gt up`) that keeps the town's machinery running: the reactor (which runs the Witness) and
each rig's Refinery, started again when the town is up and one is gone, each restart a ledger
event with its evidence. Boot is the check that restarts the Deacon itself: the reactor runs
it on its timer pass, so the reactor and the Deacon each restart the other. Both may die at
once (neither is then left to restart the other), so the session manager runs Boot too,
whenever the reactor's or the Deacon's session ends (`Town.boot_watch`: tmux's
`session-closed` hook, or the process wrapper, runs `python -m gt.supervision.deacon
<town>`); the server that held the sessions outlives them. Boot starts the Deacon, whose first
round starts the reactor: no single crash, nor both together, stops the town. A git process
killed mid-write (a Refinery in `git update-ref`, `gt config set` in its commit) leaves a ref's
lock file, which stops every later write of that ref: the Deacon removes one in the town's
repository or a rig's shared one once it is stale (`gt.gitlocks`: old, and open in no
process), each removal a ledger event with its evidence.

The town is up between `gt up` and `gt down` (a marker file under `.git/gt/`): a town taken
down on purpose is never started again behind the person's back.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from beads.errors import BeadsError
from gt import gitlocks, launch
from gt.agents import Address, ensure_agent
from gt.errors import GtError
from gt.reactor.lock import holder_pid, running_pid
from gt.rig import rigs, rigs_readable
from gt.sessions import SessionError
from gt.supervision.judge import Verdict
from gt.supervision.record import record
from gt.town import Town

EVERY = 2.0


def up_marker(town: Town) -> Path:
    return town.state_dir / launch.UP_MARKER


def is_up(town: Town) -> bool:
    return up_marker(town).exists()


def lock_path(town: Town) -> Path:
    return town.state_dir / "deacon.lock"


def deacon_running(town: Town) -> bool:
    """Whether a Deacon holds its lock (a process, not a session name, is the evidence)."""
    return deacon_pid(town) is not None


def deacon_pid(town: Town) -> int | None:
    """The pid of the running Deacon (from its lock file), -1 while it has not written it
    yet, or None when no Deacon holds the lock."""
    return holder_pid(lock_path(town))


def boot(town: Town, trigger: str = "the reactor's timer pass") -> str | None:
    """Boot: start the Deacon if the town is up and no Deacon runs; returns a log line if it
    did. One Boot at a time (a lock): the reactor's timer pass and the session manager's
    hook may both look at once. `trigger` says who looked, in the ledger event."""
    if not is_up(town) or deacon_running(town):
        return None
    fd = os.open(town.state_dir / "boot.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if not is_up(town) or deacon_running(town):
            return None
        if town.backend().is_live(launch.DEACON_SESSION):
            return None  # starting: it takes its lock in a moment
        _note(town, "the Deacon", {"lock_held": False, "session_live": False,
                                   "trigger": trigger})
        launch.start_deacon(town)
    finally:
        os.close(fd)
    return "boot: the Deacon was not running; started it"


def _note(town: Town, what: str, evidence: dict[str, object]) -> None:
    """A restart of the machinery as a ledger event with its evidence, on the Deacon's bead."""
    address = Address("deacon")
    ensure_agent(town.ledger("deacon"), address)
    record(town, address, "restart", Verdict("dead", {**evidence, "why": f"{what} not running"}),
           detail=f"{what} restarted")


def check(town: Town) -> list[str]:
    """One round: restart the reactor and each Refinery if the town is up and they are gone,
    and clear the rigs' stale git locks. A session someone else started in the moment
    between the look and the start (`gt up`, the reactor's own wake of a Refinery) is left
    to run."""
    if not is_up(town):
        return []
    done = clear_stale_locks(town)
    if running_pid(town) is None and not town.backend().is_live(launch.REACTOR_SESSION):
        _note(town, "the reactor", {"lock_held": False, "session_live": False})
        done.append(_started("reactor", lambda: launch.start_reactor(town)))
    for rig in rigs_readable(town):  # a Refinery cannot drain a broken ledger
        session = Address("refinery", rig.name).session
        if not town.backend().is_live(session):
            _note(town, f"{rig.name}/refinery", {"session_live": False})
            done.append(_started(f"{rig.name}/refinery",
                                 lambda r=rig: launch.start_refinery(town, r)))
    return done


def clear_stale_locks(town: Town) -> list[str]:
    """Remove the stale ref locks in the town's repository and each rig's shared one,
    recording each first (an index's lock is left to a person: `gitlocks.all_locks`)."""
    older_than = town.settings.supervision.stale_lock
    repositories = [("town", town.root / ".git"),
                    *((rig.name, rig.repo) for rig in rigs(town))]  # no ledger read
    done = []
    for name, git_dir in repositories:
        for path, age in gitlocks.stale(gitlocks.ref_locks(git_dir), older_than).items():
            lock = str(path.relative_to(git_dir))
            evidence = {"repository": name, "lock": lock, "age_seconds": age,
                        "older_than": older_than, "open_by": []}
            address = Address("deacon")
            ensure_agent(town.ledger("deacon"), address)
            record(town, address, "unlock", Verdict("stale", evidence),
                   detail=f"removed {name}'s {lock}: {age:g} s old, open in no process")
            path.unlink(missing_ok=True)
            done.append(f"{name}: removed the stale lock {lock} ({age:g} s old)")
    return done


def _started(what: str, start: Callable[[], object]) -> str:
    try:
        start()
    except SessionError as exc:
        return f"{what}: not running; started by another meanwhile ({exc})"
    return f"{what}: not running; started"


def run(town: Town, log: Callable[[str], None] = print,
        stop: threading.Event | None = None) -> None:
    """`gt deacon run`: hold the Deacon's lock and check every few seconds."""
    fd = os.open(lock_path(town), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        log("a Deacon is already running for this town")
        return
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    stop = stop or threading.Event()
    try:
        while not stop.is_set():
            for line in check(town):
                log(f"{time.strftime('%H:%M:%S')} {line}")
            stop.wait(EVERY)
    finally:
        os.close(fd)


def main(argv: list[str]) -> int:
    """Boot as the session manager runs it when the reactor's or the Deacon's session ends
    (`python -m gt.supervision.deacon <town>`, `Town.boot_watch`): never fails loudly, it
    runs with nobody to read it."""
    try:
        line = boot(Town(Path(argv[0])), "the session manager's exit hook")
    except (GtError, BeadsError, OSError, IndexError) as exc:
        print(f"boot: {exc}", file=sys.stderr)
        return 1
    if line:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

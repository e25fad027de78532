"""The Deacon: a small deterministic loop (`gt deacon run`, a standing session started by
`gt up`) that keeps the town's machinery running: the reactor (which runs the Witness) and
each rig's Refinery, started again when the town is up and one is gone, each restart a ledger
event with its evidence. Boot is the check that restarts the Deacon itself: the reactor runs
it on its timer pass, so the reactor and the Deacon each restart the other and no single
crash stops the town.

The town is up between `gt up` and `gt down` (a marker file under `.git/gt/`): a town taken
down on purpose is never started again behind the person's back.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from gt import launch
from gt.agents import Address, ensure_agent
from gt.reactor.lock import running_pid
from gt.rig import rigs_readable
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
    path = lock_path(town)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def boot(town: Town) -> str | None:
    """Start the Deacon if the town is up and no Deacon runs; returns a log line if so."""
    if not is_up(town) or deacon_running(town):
        return None
    if town.backend().is_live(launch.DEACON_SESSION):
        return None  # starting: it takes its lock in a moment
    launch.start_deacon(town)
    _note(town, "the Deacon", {"lock_held": False, "session_live": False})
    return "boot: the Deacon was not running; started it"


def _note(town: Town, what: str, evidence: dict[str, object]) -> None:
    """A restart of the machinery as a ledger event with its evidence, on the Deacon's bead."""
    address = Address("deacon")
    ensure_agent(town.ledger("deacon"), address)
    record(town, address, "restart", Verdict("dead", {**evidence, "why": f"{what} not running"}),
           detail=f"{what} restarted")


def check(town: Town) -> list[str]:
    """One round: restart the reactor and each Refinery if the town is up and they are gone."""
    if not is_up(town):
        return []
    done = []
    if running_pid(town) is None and not town.backend().is_live(launch.REACTOR_SESSION):
        _note(town, "the reactor", {"lock_held": False, "session_live": False})
        launch.start_reactor(town)
        done.append("reactor: not running; started")
    for rig in rigs_readable(town):  # a Refinery cannot drain a broken ledger
        session = Address("refinery", rig.name).session
        if not town.backend().is_live(session):
            _note(town, f"{rig.name}/refinery", {"session_live": False})
            launch.start_refinery(town, rig)
            done.append(f"{rig.name}/refinery: not running; started")
    return done


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
    stop = stop or threading.Event()
    try:
        while not stop.is_set():
            for line in check(town):
                log(f"{time.strftime('%H:%M:%S')} {line}")
            stop.wait(EVERY)
    finally:
        os.close(fd)

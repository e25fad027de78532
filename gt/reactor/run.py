"""The reactor's loop: watch the town's refs, read new events, carry out their effects.

Any signal (a file event under a ledger's git dir, a git hook shim's poke, a timer every few
seconds as a safety net) only means "look now": the reactor re-reads every ledger's tip and
handles the events between its cursor and the tip. One reactor runs per town; a file lock
says which process it is.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pygit2
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from beads.errors import BeadsError
from beads.events import parse_message
from beads.sync import absorb_fetched
from gt.agents import homed_here
from gt.errors import GtError
from gt.reactor import handlers, patrols
from gt.reactor.lock import lock_path, running_pid
from gt.reactor.scan import LedgerRef, Tips, batch_size, commits_since, ledgers
from gt.reactor.state import State
from gt.supervision.driver import Supervisor
from gt.town import Town
from gt.work import claims, stranded

DEBOUNCE = 0.001
MAX_DEBOUNCE = 0.02
SAFETY_POLL = 5.0
MAIL_NUDGE_GAP = 3.0
# A scan handles about this many commits per ledger before saving its cursor, so a long
# burst makes progress that survives a kill (a batch ends only where a cursor covers it).
BATCH_COMMITS = 50
POKE_LIMIT = 1 << 20


class _Signal(FileSystemEventHandler):
    def __init__(self, wake: threading.Event) -> None:
        self.wake = wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        # Reading a ref opens it: only changes are signals, or every scan would wake the next.
        if event.event_type not in ("opened", "closed_no_write"):
            self.wake.set()


class Reactor:
    def __init__(self, town: Town, log: Callable[[str], None] = print) -> None:
        self.town = town
        self.log = log
        self.state = State(town.state_dir / "reactor")
        self.wake = threading.Event()
        self.repos: dict[str, pygit2.Repository] = {}
        self.observer = Observer()
        self.watched: set[str] = set()
        self._watched_ledgers: set[str] = set()
        self._lock_fd: int | None = None
        self.last_mail_nudge: dict[str, float] = {}
        self.supervisor = Supervisor(town, log)
        self.next_stranded_check = time.monotonic() + stranded.CHECK_EVERY
        self.tips = Tips(lambda line: self.log(f"{_stamp()} {line}"))

    # ------------------------------------------------------------------ lifecycle

    def acquire(self) -> None:
        path = lock_path(self.town)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise GtError(f"a reactor is already running for this town (pid "
                          f"{running_pid(self.town)})") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def run(self, stop: threading.Event | None = None) -> None:
        """Catch up, then react until `stop` is set (or forever)."""
        self.acquire()
        stop = stop or threading.Event()
        self._watch_all()
        self.observer.start()
        try:
            self.scan()
            self.supervisor.tick()
            while not stop.is_set():
                # the Witness's timer pass is due on time, not at the next safety poll
                if self.wake.wait(min(SAFETY_POLL, self.supervisor.next_timer + 0.01)):
                    self._settle()
                if stop.is_set():
                    break
                self._watch_all()
                self.scan()
                self.supervisor.tick()
        finally:
            self.observer.stop()
            self.observer.join(timeout=2)
            if self._lock_fd is not None:
                os.close(self._lock_fd)

    def _settle(self) -> None:
        """Let a burst finish (a few milliseconds) so it is handled in one scan."""
        deadline = time.monotonic() + MAX_DEBOUNCE
        self.wake.clear()
        while time.monotonic() < deadline:
            time.sleep(DEBOUNCE)
            if not self.wake.is_set():
                return
            self.wake.clear()

    def _watch_all(self) -> None:
        found = ledgers(self.town)
        if {str(ledger.git_dir) for ledger in found} == self._watched_ledgers:
            return
        self._watched_ledgers = {str(ledger.git_dir) for ledger in found}
        handler = _Signal(self.wake)
        for ledger in found:
            for path, recursive in ((ledger.git_dir, False), (ledger.git_dir / "refs", True),
                                    (ledger.git_dir / "beads", False)):
                path.mkdir(parents=True, exist_ok=True)
                if str(path) not in self.watched:
                    self.observer.schedule(handler, str(path), recursive=recursive)
                    self.watched.add(str(path))

    # ------------------------------------------------------------------ reacting

    def _repo(self, ledger: LedgerRef) -> pygit2.Repository:
        if ledger.name not in self.repos:
            self.repos[ledger.name] = pygit2.Repository(str(ledger.git_dir))
        return self.repos[ledger.name]

    def scan(self) -> int:
        """Handle every event past the cursors; returns how many events were seen."""
        items: list[tuple[handlers.Event, str, str]] = []
        moved: dict[str, str] = {}
        watching: list[patrols.Patrol] | None = None  # read once a scan, when needed
        for ledger in ledgers(self.town):
            repo = self._repo(ledger)
            if not self.tips.usable(ledger, repo):
                continue
            self._absorb(ledger)
            head = self.tips.read(ledger, repo)
            cursor = self.state.cursors.get(ledger.name)
            if head is None or head == cursor:
                continue
            names = self._agent_names(ledger)
            commits = commits_since(repo, cursor, head)
            handled = commits[:batch_size(commits, cursor, BATCH_COMMITS)]
            for commit in handled:
                for event in parse_message(commit.message):
                    items += [(event, kind, target) for kind, target in
                              handlers.classify(event, names, ledger.name)]
                    if patrols.kinds_of(event):
                        if watching is None:
                            watching = patrols.patrols(
                                self.town, [x.git_dir for x in ledgers(self.town)])
                        items += [(event, kind, target) for kind, target in
                                  patrols.effects(event, watching)]
            moved[ledger.name] = str(handled[-1].id) if handled else head
            if moved[ledger.name] != head:
                self.wake.set()
        for effect in handlers.coalesce(items):
            if all(key in self.state.done for key in effect.keys):
                continue
            if self._too_soon(effect):
                outcome = f"mail for {effect.target}: nudged less than {MAIL_NUDGE_GAP:g}s ago"
            else:
                outcome = handlers.safely(self.town, effect)
            self.log(f"{_stamp()} {outcome}")
            for key in effect.keys:
                self.state.record(key)
        if moved:
            self.state.cursors.update(moved)
            self.state.save_cursors()
            self.state.clear_journal()
        self._trim_pokes()
        if time.monotonic() >= self.next_stranded_check:
            self.next_stranded_check = time.monotonic() + stranded.CHECK_EVERY
            for line in handlers.stranded_convoys(self.town):
                self.log(f"{_stamp()} {line}")
        return len(items)

    def _trim_pokes(self) -> None:
        """The git hook shims' poke files only say "look now": empty them once they grow."""
        for ledger in ledgers(self.town):
            poke = ledger.git_dir / "beads" / "reactor.poke"
            with contextlib.suppress(FileNotFoundError):
                if poke.stat().st_size > POKE_LIMIT:
                    os.truncate(poke, 0)

    def _absorb(self, ledger: LedgerRef) -> None:
        """A plain `git fetch` moved a remote's ledger ref: merge it into the local ledger."""
        try:
            opened = self.town.open_ledger(ledger.git_dir)
            merged = absorb_fetched(opened)
            if merged:
                merged += claims.reconcile(self.town, opened)
            for line in merged:
                self.log(f"{_stamp()} [{ledger.name}] {line}")
        except BeadsError as exc:
            self.log(f"{_stamp()} [{ledger.name}] could not merge a fetched ledger: "
                     f"{exc.message}")

    def _too_soon(self, effect: handlers.Effect) -> bool:
        """Mail nudges to one agent at most every few seconds: the agent reads all its new
        mail at once, so a burst of messages is one nudge."""
        if effect.kind != "mail":
            return False
        now = time.monotonic()
        if now - self.last_mail_nudge.get(effect.target, -MAIL_NUDGE_GAP) < MAIL_NUDGE_GAP:
            return True
        self.last_mail_nudge[effect.target] = now
        return False

    def _agent_names(self, ledger: LedgerRef) -> Callable[[str], str | None]:
        """Agent bead id -> its address (the bead's title), read lazily from the ledger; None
        for an agent homed on another machine (that machine's reactor wakes it)."""
        cache: dict[str, str | None] = {}
        machine = self.town.machine

        def lookup(bead_id: str) -> str | None:
            if bead_id not in cache:
                try:
                    bead = self.town.open_ledger(ledger.git_dir).get(bead_id)
                except BeadsError:
                    bead = {}
                ours = bead.get("issue_type") == "agent" and homed_here(bead, machine)
                cache[bead_id] = bead.get("title") if ours else None
            return cache[bead_id]

        return lookup


def _stamp() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]

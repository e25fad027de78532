"""The reactor's persisted state: a cursor per ledger and a journal of effects done.

The cursor is the last commit of each ledger whose events have all been handled; it is saved
only after their effects. The journal records each effect that is not a ledger write (a
session started, a nudge typed) before the cursor moves, so a reactor killed in the middle
of a burst and restarted skips what it already did. Effects that are ledger writes are
conditional compare-and-swap commits, exactly once by construction.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pygit2

from gt.reactor.scan import ledgers, tip
from gt.town import Town


class State:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cursor_path = directory / "cursor.json"
        self.journal_path = directory / "effects.log"
        self.cursors: dict[str, str] = self._load_cursors()
        self.done: set[str] = self._load_journal()

    def _load_cursors(self) -> dict[str, str]:
        try:
            data = json.loads(self.cursor_path.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _load_journal(self) -> set[str]:
        try:
            return {line for line in self.journal_path.read_text().splitlines() if line}
        except FileNotFoundError:
            return set()

    def save_cursors(self) -> None:
        tmp = self.cursor_path.with_suffix(".tmp")
        with open(tmp, "w") as handle:
            json.dump(self.cursors, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.cursor_path)

    def record(self, key: str) -> None:
        """Remember an effect as done (durably, before the cursor passes its event)."""
        with open(self.journal_path, "a") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.done.add(key)

    def clear_journal(self) -> None:
        """Forget the effects journal once the cursor has passed every event in it."""
        self.journal_path.write_text("")
        self.done.clear()


def start_cursors(town: Town) -> None:
    """Point a new ledger's cursor at its current tip, so a reactor started later handles
    everything after this moment (called by set-up when a town or rig is made)."""
    state = State(town.state_dir / "reactor")
    changed = False
    for ledger in ledgers(town):
        if ledger.name not in state.cursors:
            head = tip(pygit2.Repository(str(ledger.git_dir)))
            if head:
                state.cursors[ledger.name] = head
                changed = True
    if changed:
        state.save_cursors()

"""The Witness as the reactor runs it: a pass for the agents whose sessions just ended (tmux's
hooks, or a process session's exit wrapper, append their names to the town's `sessions.poke`,
in a directory the reactor watches),
a timer pass over every agent each `supervision.every` seconds for what has no event (stalls,
idle sessions, GUPP) with the safe part of `gt polecat gc` (what it leaves is logged),
escalations raised again, and Boot: the Deacon started again when the
town is up and its Deacon is not running."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable

from gt.supervision import deacon, escalation, polecats
from gt.supervision.witness import Witness
from gt.town import Town

POKE_LIMIT = 1 << 20


class Supervisor:
    def __init__(self, town: Town, log: Callable[[str], None] = print) -> None:
        self.town = town
        self.log = log
        self.witness = Witness(town, log)
        self.poke = town.session_poke
        self.offset = self._size()
        self.last_full = 0.0

    def _size(self) -> int:
        try:
            return self.poke.stat().st_size
        except OSError:
            return 0

    def ended_sessions(self) -> list[str]:
        """Session names appended to the poke file since the last look."""
        size = self._size()
        if size < self.offset:
            self.offset = 0  # trimmed
        if size == self.offset:
            return []
        with open(self.poke, "rb") as poke:
            poke.seek(self.offset)
            data = poke.read(size - self.offset)
        self.offset = size
        names = []
        for line in data.decode(errors="replace").splitlines():
            words = line.split()
            if len(words) == 2:
                names.append(words[1].replace("+", "."))
        if size > POKE_LIMIT:
            with contextlib.suppress(OSError):
                os.truncate(self.poke, 0)
            self.offset = 0
        return names

    def tick(self) -> None:
        """What the reactor calls after each scan."""
        ended = self.ended_sessions()
        if ended:
            self.witness.run_pass(only=set(ended))
        now = time.monotonic()
        if now - self.last_full >= self.town.settings.supervision.every:
            self.last_full = now
            self.witness.run_pass()
            for item in polecats.gc(self.town, automatic=True):
                if item["action"] != "left to the Witness (restart in place)":
                    self.log(f"gc: {item['kind']} {item['name']}: {item['action']}")
            for escalation_id in escalation.raise_again(self.town):
                self.log(f"escalation {escalation_id}: unacknowledged, raised again")
            started = deacon.boot(self.town)
            if started:
                self.log(started)

    @property
    def next_timer(self) -> float:
        """Seconds until the next timer pass is due."""
        every = self.town.settings.supervision.every
        return max(0.0, self.last_full + every - time.monotonic())

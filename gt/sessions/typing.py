"""Typing a prompt into an agent's TUI the way a careful person would, reading its `Screen`.

Wait (bounded) until the input box is drawn and the agent is idle; type the text; wait until
its end shows in the box; pause ~80 ms (an Enter sent sooner after the text is drawn can be
lost); press Enter; confirm the submission (the text has left the box, or the agent turned
busy) and press Enter once more if it was lost. A busy agent is never typed into (a prompt
typed during a turn is folded into that turn), and no Escape or C-c is ever sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from gt.runtimes.screens import Screen

READY_SECONDS = 20.0  # a TUI is ready in well under a second; a first start can be slow
ECHO_SECONDS = 3.0
CONFIRM_SECONDS = 2.0
ENTER_GAP = 0.08
TAIL_CHARS = 16
POLL = 0.02

# Runs one tmux command for the target pane: (succeeded, output).
Run = Callable[..., tuple[bool, str]]


def squeeze(text: str) -> str:
    return "".join(text.split())


class Typist:
    """Types into one pane whose screen reads as `screen`."""

    def __init__(self, run: Run, target: str, screen: Screen) -> None:
        self.run = run
        self.target = target
        self.screen = screen

    def pane(self) -> str | None:
        ok, text = self.run("capture-pane", "-p", "-J", "-t", self.target)
        return text if ok else None

    def state(self) -> str | None:
        """"busy", "idle", "starting" (no input box yet), or None when the pane is gone."""
        pane = self.pane()
        if pane is None:
            return None
        if self.screen.is_busy(pane):
            return "busy"
        return "idle" if self.screen.is_ready(pane) else "starting"

    def wait_idle(self, seconds: float = READY_SECONDS) -> str | None:
        """Wait while the agent is starting: its state once idle or busy (busy is not waited
        for: the caller queues instead), "starting" on time-out, None when it is gone."""
        deadline = time.monotonic() + seconds
        while True:
            state = self.state()
            if state != "starting" or time.monotonic() >= deadline:
                return state
            time.sleep(POLL)

    def _until(self, test: Callable[[str], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pane = self.pane()
            if pane is None:
                return False
            if test(pane):
                return True
            time.sleep(POLL)
        return False

    def _in_box(self, tail: str) -> Callable[[str], bool]:
        return lambda pane: tail in squeeze(self.screen.box_text(pane) or "")

    def _submitted(self, tail: str) -> Callable[[str], bool]:
        return lambda pane: self.screen.is_busy(pane) or not self._in_box(tail)(pane)

    def submit(self, text: str, chunk: int = 200) -> str:
        """Type `text` (already printable, one line) and submit it: "delivered", "busy"
        (nothing typed), "starting" (no input box in time), "lost" (typed, never submitted)
        or "gone"."""
        state = self.wait_idle()
        if state != "idle":
            return state or "gone"
        for start in range(0, len(text), chunk):
            if not self.run("send-keys", "-t", self.target, "-l", "--",
                            text[start:start + chunk])[0]:
                return "gone"
        tail = squeeze(text)[-TAIL_CHARS:]
        if tail:
            self._until(self._in_box(tail), ECHO_SECONDS)
        time.sleep(ENTER_GAP)
        for _attempt in range(2):
            if not self.run("send-keys", "-t", self.target, "Enter")[0]:
                return "gone"
            if not tail or self._until(self._submitted(tail), CONFIRM_SECONDS):
                return "delivered"
        return "lost"

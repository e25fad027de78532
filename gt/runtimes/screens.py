"""How to read an agent's screen, as data per runtime: is its input box ready, is it busy,
what is typed in the box right now.

A `Screen` holds regexes over the text of the pane (`tmux capture-pane -p`): `ready` matches
once the input box is drawn, `busy` while a turn runs (idle is ready and not busy), and
`box` captures, in its group `text`, what sits in the input box (its last match on the
screen). A submission is confirmed when the typed text has left the box or the agent turned
busy. Markers observed on Claude Code 2.1 and Codex 0.171.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Screen:
    ready: str
    busy: str
    box: str

    def is_ready(self, pane: str) -> bool:
        return re.search(self.ready, pane, re.MULTILINE) is not None

    def is_busy(self, pane: str) -> bool:
        return re.search(self.busy, pane, re.MULTILINE) is not None

    def is_idle(self, pane: str) -> bool:
        return self.is_ready(pane) and not self.is_busy(pane)

    def box_text(self, pane: str) -> str | None:
        """What is typed in the input box (None when no box shows)."""
        found = list(re.finditer(self.box, pane, re.MULTILINE | re.DOTALL))
        return found[-1].group("text") if found else None


# Claude Code: the input box is a `❯` line between two rules of `─`; while a turn runs the
# status line under it says "esc to interrupt".
CLAUDE = Screen(ready=r"^─{20,}\n❯.*\n(?:.*\n)*?─{20,}$", busy=r"esc to interrupt",
                box=r"^─{20,}\n❯ ?(?P<text>.*?)\n─{20,}$")
# Codex: the composer is a `›` line; "esc to interrupt" shows only while a turn runs.
CODEX = Screen(ready=r"^› ", busy=r"esc to interrupt",
               box=r"^› (?P<text>.*?)(?:\n\s*\n|\n  [a-z?].*|\Z)")

"""Events: the ledger's source of truth, and their trailer form in commit messages.

A commit message is a one-line human summary, a blank line, then one `Bead-Event:` line per
event holding the event as canonical JSON. JSON escapes newlines and C0 controls; the few
characters JSON leaves raw that terminals or line splitters still act on (DEL, C1 controls,
U+2028/U+2029) are escaped here too, so no title can break the format or a terminal.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from beads import canonical
from beads.errors import StorageError
from beads.fold import OPS, Clock

TRAILER = "Bead-Event: "
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class Event:
    """One orchestration action: what happened (`op`, `data`) to which bead, by whom, when."""

    op: str
    bead: str
    actor: str
    ts: str
    lamport: int
    data: dict[str, Any] = field(default_factory=dict)
    eid: str = ""

    @property
    def clock(self) -> Clock:
        return (self.lamport, self.actor, self.eid)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op, "bead": self.bead, "actor": self.actor,
                               "ts": self.ts, "lamport": self.lamport, "eid": self.eid}
        if self.data:
            out["data"] = self.data
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Event:
        try:
            event = cls(op=raw["op"], bead=raw["bead"], actor=raw["actor"], ts=raw["ts"],
                        lamport=int(raw["lamport"]), data=raw.get("data") or {},
                        eid=raw.get("eid", ""))
        except (KeyError, TypeError, ValueError) as exc:
            raise StorageError(f"malformed event {raw!r}: {exc}") from None
        if event.op not in OPS:
            raise StorageError(f"unknown event op {event.op!r}")
        return event


def make_event(op: str, bead: str, actor: str, ts: str, lamport: int,
               data: dict[str, Any] | None = None) -> Event:
    """Build an event whose id is the hash of its content, so equal events have equal ids."""
    body = {"op": op, "bead": bead, "actor": actor, "ts": ts, "lamport": lamport,
            "data": data or {}}
    eid = hashlib.sha1(canonical.dumps(body)).hexdigest()[:16]
    return Event(op=op, bead=bead, actor=actor, ts=ts, lamport=lamport, data=data or {}, eid=eid)


def _escape_unsafe(text: str) -> str:
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def one_line(text: str, limit: int = 72) -> str:
    """Fold control characters and newlines to spaces and shorten: safe for a summary line."""
    flat = _CONTROL.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def format_message(summary: str, events: list[Event]) -> str:
    lines = [one_line(summary) or "beads", ""]
    lines += [TRAILER + _escape_unsafe(canonical.dumps(e.to_dict()).decode()) for e in events]
    return "\n".join(lines) + "\n"


def parse_message(message: str) -> list[Event]:
    """The events carried by a commit message, in order (none for a commit made by hand)."""
    events = []
    for line in message.split("\n"):
        if line.startswith(TRAILER):
            try:
                raw = canonical.loads(line[len(TRAILER):])
            except ValueError as exc:
                raise StorageError(f"malformed event trailer: {exc}") from None
            events.append(Event.from_dict(raw))
    return events

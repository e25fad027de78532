"""Nudges: text typed into a live agent's session, or queued for later.

A nudge to an agent that is not live waits in its queue for its next `gt prime` (or the next
prompt's hook, `gt mail check --inject`). A nudge to a TUI agent that is busy is queued to be
typed at its next idle moment, as a prompt of its own: typed into a running turn it would be
folded into that turn, and handed over by the next prompt's hook it would ride on someone
else's prompt (and an idle agent submits no prompt until someone types one). The runtime's
end-of-turn hook (`gt agent-hook stop`) delivers them one per idle moment, and a nudge that
found the agent busy checks again once queued, so a turn ending meanwhile cannot strand it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from beads.model import check_utf8
from gt.agents import Address
from gt.town import Town

DELIVER_WAIT = 30.0  # seconds one delivery waits for another in progress
if TYPE_CHECKING:
    import filelock


def _queue(town: Town, address: Address) -> tuple[Path, filelock.FileLock]:
    # Imported here: `gt prime` drains an empty queue without it (filelock loads logging).
    import filelock

    path = town.state_dir / "nudges" / f"{address.session}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, filelock.FileLock(str(path) + ".lock")


def _read(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [orjson.loads(row) for row in path.read_bytes().splitlines() if row.strip()]


def _write(path: Path, items: list[dict[str, object]]) -> None:
    if items:
        path.write_bytes(b"".join(orjson.dumps(item) + b"\n" for item in items))
    else:
        path.unlink(missing_ok=True)


def enqueue(town: Town, address: Address, text: str, sender: str, typed: bool = False) -> None:
    """Queue a nudge; `typed`: to be typed at the agent's next idle moment."""
    path, lock = _queue(town, address)
    item: dict[str, object] = {"from": sender, "text": text}
    if typed:
        item["typed"] = True
    with lock, open(path, "ab") as handle:
        handle.write(orjson.dumps(item) + b"\n")


def drain(town: Town, address: Address, typed_too: bool = True) -> list[dict[str, str]]:
    """Take the queued nudges for the agent (each is delivered once); those waiting to be
    typed as prompts of their own stay unless `typed_too` (a new session takes them all)."""
    if not (town.state_dir / "nudges" / f"{address.session}.jsonl").exists():
        return []
    path, lock = _queue(town, address)
    with lock:
        items = _read(path)
        taken = [i for i in items if typed_too or not i.get("typed")]
        _write(path, [i for i in items if i not in taken])
    return [{"from": str(i["from"]), "text": str(i["text"])} for i in taken]


def pending_typed(town: Town, address: Address) -> int:
    path, lock = _queue(town, address)
    with lock:
        return sum(1 for i in _read(path) if i.get("typed"))


def deliver_next(town: Town, address: Address) -> str:
    """Type the oldest nudge waiting for the agent to be idle, if it is idle now: "delivered",
    "busy" (left queued), or "none" (nothing waits)."""
    path, lock = _queue(town, address)
    sessions = town.backend()
    import filelock  # loaded only when delivering (see _queue)

    with filelock.FileLock(str(path) + ".deliver", timeout=DELIVER_WAIT):
        with lock:
            items = _read(path)
            item = next((i for i in items if i.get("typed")), None)
            if item is None:
                return "none"
            items.remove(item)
            _write(path, items)
        if sessions.send(address.session, str(item["text"])):
            return "delivered"
        with lock:  # busy again (or gone): back to the front of the queue
            _write(path, [item, *_read(path)])
    return "busy"


def nudge(town: Town, address: Address, text: str, sender: str) -> str:
    """Type `text` into the agent's live session when it is idle; queue it when the agent is
    busy (typed at its next idle moment) or not live (read at its next prime)."""
    check_utf8(text, "the nudge text")
    sessions = town.backend()
    if sessions.screen_state(address.session) != "busy" and sessions.send(address.session, text):
        return "delivered"
    if sessions.screen_state(address.session) in ("busy", "idle"):
        enqueue(town, address, text, sender, typed=True)
        # The turn may have ended between the look and the queueing: look once more.
        if deliver_next(town, address) == "delivered" and not pending_typed(town, address):
            return "delivered"
        return "queued"
    enqueue(town, address, text, sender)
    return "queued"

"""Nudges: text typed into a live agent's session, or queued until its next `gt prime`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from beads.model import check_utf8
from gt.agents import Address
from gt.town import Town

if TYPE_CHECKING:
    import filelock


def _queue(town: Town, address: Address) -> tuple[Path, filelock.FileLock]:
    # Imported here: `gt prime` drains an empty queue without it (filelock loads logging).
    import filelock

    path = town.state_dir / "nudges" / f"{address.session}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, filelock.FileLock(str(path) + ".lock")


def enqueue(town: Town, address: Address, text: str, sender: str) -> None:
    path, lock = _queue(town, address)
    with lock, open(path, "ab") as handle:
        handle.write(orjson.dumps({"from": sender, "text": text}) + b"\n")


def drain(town: Town, address: Address) -> list[dict[str, str]]:
    """Take every queued nudge for the agent (they are delivered once)."""
    if not (town.state_dir / "nudges" / f"{address.session}.jsonl").exists():
        return []
    path, lock = _queue(town, address)
    with lock:
        if not path.exists():
            return []
        items = [orjson.loads(row) for row in path.read_bytes().splitlines() if row.strip()]
        path.unlink()
    return items


def nudge(town: Town, address: Address, text: str, sender: str) -> str:
    """Type `text` into the agent's live session; queue it when the agent is not live."""
    check_utf8(text, "the nudge text")
    if town.backend().send(address.session, text):
        return "delivered"
    enqueue(town, address, text, sender)
    return "queued"

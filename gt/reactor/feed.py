"""`gt feed`: the town's events as they happen, read from the ledgers' history."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pygit2

from beads.model import parse_time
from gt.reactor.scan import events_since, ledgers, tip
from gt.town import Town


def _row(ledger: str, commit: pygit2.Commit, event: Any) -> dict[str, Any]:
    data = event.data or {}
    detail = data.get("set") or data.get("fields") or {k: v for k, v in data.items()
                                                        if k != "fields"}
    return {"ts": event.ts, "ledger": ledger, "commit": str(commit.id), "actor": event.actor,
            "op": event.op, "bead": event.bead, "summary": commit.message.split("\n", 1)[0],
            "detail": detail}


def history(town: Town, since: float) -> list[dict[str, Any]]:
    """Events of every ledger committed at or after `since` (unix time), oldest first."""
    rows = []
    for ledger in ledgers(town):
        repo = pygit2.Repository(str(ledger.git_dir))
        head = tip(repo)
        if head is not None:
            rows += [_row(ledger.name, c, e) for c, e in events_since(repo, None, head)
                     if c.commit_time >= since]
    return sorted(rows, key=lambda r: (r["ts"], r["ledger"]))


def follow(town: Town, emit: Callable[[dict[str, Any]], None], poll: float = 0.3,
           stop: Callable[[], bool] = lambda: False) -> None:
    """Print new events as their commits land, until `stop()` says so."""
    seen: dict[str, str | None] = {}
    for ledger in ledgers(town):
        seen[ledger.name] = tip(pygit2.Repository(str(ledger.git_dir)))
    while not stop():
        for ledger in ledgers(town):
            repo = pygit2.Repository(str(ledger.git_dir))
            head = tip(repo)
            if head is None or head == seen.get(ledger.name):
                continue
            for commit, event in events_since(repo, seen.get(ledger.name), head):
                emit(_row(ledger.name, commit, event))
            seen[ledger.name] = head
        time.sleep(poll)


def parse_since(text: str) -> float:
    """`30m`, `2h`, `1d`, `45s`, or an ISO date: the unix time it names."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text and text[-1] in units and text[:-1].isdigit():
        return time.time() - int(text[:-1]) * units[text[-1]]
    return parse_time(text, "--since").timestamp()


def line(row: dict[str, Any]) -> str:
    when = row["ts"][11:19] if len(row["ts"]) >= 19 else row["ts"]
    return f"{when} [{row['ledger']}] {row['actor']}: {row['summary']}"

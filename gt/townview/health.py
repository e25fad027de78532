"""The health of the town's machinery: the reactor (running, its cursor on each ledger and
how far it lags behind the ledger's tip) and each rig's Refinery (running, its queue)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from beads.gitrun import TIMEOUT, clean_env
from gt.agents import Address
from gt.reactor.lock import running_pid
from gt.town import Town
from gt.townview.ledgers import LedgerView

# The reactor saves a cursor per ledger here (gt.reactor.state); read as a plain file.
CURSOR_FILE = ("reactor", "cursor.json")


def cursors(town: Town) -> dict[str, str]:
    path = town.state_dir.joinpath(*CURSOR_FILE)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def lags(pairs: dict[Path, tuple[str, str]]) -> dict[Path, int | None]:
    """For each git dir, how many commits `new` has that `old` has not (None when git
    cannot tell); the git processes run side by side."""
    running = {where: subprocess.Popen(
        ["git", "rev-list", "--count", f"{old}..{new}"], cwd=where, env=clean_env(os.environ),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for where, (old, new) in pairs.items()}
    counts: dict[Path, int | None] = {}
    for where, process in running.items():
        text = process.communicate(timeout=TIMEOUT)[0].strip()
        counts[where] = int(text) if process.returncode == 0 and text.isdigit() else None
    return counts


def reactor(town: Town, views: list[LedgerView]) -> dict[str, Any]:
    """Whether the reactor runs, and per ledger its cursor, the tip and the lag between."""
    pid = running_pid(town)
    saved = cursors(town)
    path = town.state_dir.joinpath(*CURSOR_FILE)
    try:
        moved_at: float | None = path.stat().st_mtime
    except OSError:
        moved_at = None
    behind = lags({view.git_dir: (saved[view.name], view.tip) for view in views
                   if view.tip and saved.get(view.name) not in (None, view.tip)})
    ledgers = []
    for view in views:
        cursor = saved.get(view.name)
        count = 0 if cursor == view.tip or not view.tip else behind.get(view.git_dir)
        ledgers.append({"ledger": view.name, "tip": view.tip, "cursor": cursor,
                        "behind": count})
    return {"running": pid is not None, "pid": pid, "cursor_saved_at": moved_at,
            "ledgers": ledgers,
            "lag": sum(entry["behind"] or 0 for entry in ledgers),
            "unknown_cursors": [e["ledger"] for e in ledgers
                                if e["tip"] and e["behind"] is None]}


def refinery(rig: str, live: set[str], queue: dict[str, Any]) -> dict[str, Any]:
    """A rig's Refinery: running or not, how many requests wait, the oldest one's age."""
    now = time.time()
    ages = [now - r["ref_written"] for r in queue["pending"] if r.get("ref_written")]
    return {"rig": rig, "running": Address("refinery", rig).session in live,
            "pending": len(queue["pending"]), "oldest_seconds": max(ages) if ages else None}

"""Heartbeats: a file per agent session whose time is refreshed by every `gt` command the
agent runs (its runtime's hooks run `gt` too). Local state under `.git/gt/heartbeats/`, never
a ledger commit."""

from __future__ import annotations

import os
from pathlib import Path


def heartbeat_path(state_dir: Path, session: str) -> Path:
    return state_dir / "heartbeats" / session


def beat(state_dir: Path, session: str) -> None:
    """Refresh the session's heartbeat (create it the first time); never raises."""
    path = heartbeat_path(state_dir, session)
    try:
        os.utime(path)
    except FileNotFoundError:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        except OSError:
            return
    except OSError:
        return


def last_beat(state_dir: Path, session: str) -> float | None:
    try:
        return heartbeat_path(state_dir, session).stat().st_mtime
    except OSError:
        return None

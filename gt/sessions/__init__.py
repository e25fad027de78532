"""Where agent sessions run: tmux on a per-town socket when available, else plain processes."""

from __future__ import annotations

import shutil
from pathlib import Path

from gt.sessions.base import Backend, SessionError, SessionSpec
from gt.sessions.processes import ProcessBackend
from gt.sessions.tmux import TmuxBackend

__all__ = ["Backend", "ProcessBackend", "SessionError", "SessionSpec", "TmuxBackend",
           "choose_backend"]


def choose_backend(town_state_dir: Path, socket: str, no_tmux: bool = False) -> Backend:
    """tmux (server `socket`) unless it is missing or refused; records go under the state dir."""
    if not no_tmux and shutil.which("tmux"):
        return TmuxBackend(socket, town_state_dir / "tmux")
    return ProcessBackend(town_state_dir / "sessions")

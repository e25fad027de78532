"""Where agent sessions run: tmux on a per-town socket when available, else plain processes."""

from __future__ import annotations

import shutil
from pathlib import Path

from gt.sessions.base import Backend, Pane, SessionError, SessionSpec
from gt.sessions.processes import ProcessBackend
from gt.sessions.tmux import TmuxBackend

__all__ = ["Backend", "Pane", "ProcessBackend", "SessionError", "SessionSpec", "TmuxBackend",
           "choose_backend"]


def choose_backend(town_state_dir: Path, socket: str, no_tmux: bool = False,
                   exit_poke: Path | None = None) -> Backend:
    """tmux (server `socket`) unless it is missing or refused; records go under the state dir;
    tmux (or the process wrapper) appends to `exit_poke` when one of its sessions ends."""
    if not no_tmux and shutil.which("tmux"):
        return TmuxBackend(socket, town_state_dir / "tmux", exit_poke)
    return ProcessBackend(town_state_dir / "sessions", exit_poke=exit_poke)

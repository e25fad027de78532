"""Where agent sessions run: tmux on a per-town socket when available, else plain processes."""

from __future__ import annotations

import shutil
from pathlib import Path

from gt.sessions.base import Backend, ExitWatch, Pane, SessionError, SessionSpec
from gt.sessions.processes import ProcessBackend
from gt.sessions.tmux import TmuxBackend

__all__ = ["Backend", "ExitWatch", "Pane", "ProcessBackend", "SessionError", "SessionSpec",
           "TmuxBackend", "choose_backend"]


def choose_backend(town_state_dir: Path, socket: str, no_tmux: bool = False,
                   exit_poke: Path | None = None, exit_watch: ExitWatch | None = None) -> Backend:
    """tmux (server `socket`) unless it is missing or refused; records go under the state dir;
    tmux (or the process wrapper) appends to `exit_poke` when one of its sessions ends, and
    runs `exit_watch`'s command when one of the sessions it names does."""
    if not no_tmux and shutil.which("tmux"):
        return TmuxBackend(socket, town_state_dir / "tmux", exit_poke, exit_watch)
    return ProcessBackend(town_state_dir / "sessions", exit_poke=exit_poke,
                          exit_watch=exit_watch)

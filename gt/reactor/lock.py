"""Which process is the town's reactor: one per town, held by a non-blocking `flock` on
`.git/gt/reactor.lock`, whose file holds the reactor's pid."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from gt.town import Town


def lock_path(town: Town) -> Path:
    return town.state_dir / "reactor.lock"


def running_pid(town: Town) -> int | None:
    """The pid of the town's live reactor, or None."""
    return holder_pid(lock_path(town))


def holder_pid(path: Path) -> int | None:
    """The pid written in a lock file that a live process holds with `flock` (-1 while it
    has not written it yet), or None when nobody holds it."""
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        text = path.read_text().strip()
        return int(text) if text.isdigit() else -1
    finally:
        os.close(fd)
    return None

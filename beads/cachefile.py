"""The read cache's file: where it lives, its format, and opening it only when it is current.

`beads.cache` creates and fills the file; this module only knows its name, its format
version and the keys that say what it reflects, so the fast read path can check and open it
with nothing but `os` and `sqlite3`.
"""

from __future__ import annotations

import os
import sqlite3

CACHE_NAME = "cache.sqlite"
# Bumped whenever the tables change: a cache of another version is thrown away and rebuilt.
CACHE_VERSION = "6"


def overlay_signature(state_dir: str | os.PathLike[str]) -> str:
    """Changes whenever the wisp overlay index file is rewritten."""
    try:
        st = os.stat(os.path.join(state_dir, "wisps.index"))
    except FileNotFoundError:
        return "none"
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def open_current(state_dir: str, tip: str) -> sqlite3.Connection | None:
    """A connection to the cache if it exists and reflects `tip` and today's wisp overlay
    with no unreadable wisps to report; None otherwise (the caller takes the full path).
    It never creates the file."""
    path = os.path.join(state_dir, CACHE_NAME)
    if not os.path.isfile(path):
        return None
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        kv = dict(db.execute("SELECT key, value FROM kv WHERE key IN "
                             "('version', 'tip', 'overlay', 'overlay_problems')"))
    except sqlite3.Error:
        db.close()
        return None
    if (kv.get("version") == CACHE_VERSION and kv.get("tip") == tip
            and kv.get("overlay") == overlay_signature(state_dir)
            and not kv.get("overlay_problems")):
        return db
    db.close()
    return None

"""The read cache: a sqlite file under the git dir, keyed by the ledger tip it reflects.

It holds each live bead's public view plus indexed columns for queries. It is only ever a
copy: rows and the tip they reflect change in one sqlite transaction, so a reader never sees
rows from a tip other than the recorded one, and deleting the file is always safe.
Every transaction also brings up to date what holds beads back (`beads.blocking`), from the
beads it changed, so reads never walk the dependency graph.
This module never imports pygit2; `beads.refresh` brings a stale cache up to date.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from beads import blocking, canonical
from beads.cachefile import CACHE_NAME, CACHE_VERSION, overlay_signature
from beads.model import INFRA_TYPES, SCHEMA_VERSION

__all__ = ["COMMITTED", "WISP", "Cache", "cache_path", "overlay_signature", "public_view"]

# `beads` rows stay narrow (the columns queries filter and sort on); the JSON documents and
# the search text live in `docs`, read only for the rows a query returns. `work` is 1 for a
# bead whose type is work rather than machinery (what `ready` may offer); `held` is kept up
# to date by every transaction (`beads.blocking`).
_TABLES = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS beads (
    id TEXT PRIMARY KEY, layer INTEGER NOT NULL, status TEXT, priority INTEGER,
    issue_type TEXT, assignee TEXT, owner TEXT, title TEXT, created_at TEXT, updated_at TEXT,
    closed_at TEXT, defer_until TEXT, ephemeral INTEGER, close_failed INTEGER, parent TEXT,
    work INTEGER);
CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY, search TEXT, doc BLOB);
CREATE TABLE IF NOT EXISTS labels (id TEXT, label TEXT);
CREATE TABLE IF NOT EXISTS deps (id TEXT, target TEXT, type TEXT, metadata TEXT);
CREATE TABLE IF NOT EXISTS junk (path TEXT PRIMARY KEY, layer INTEGER, reason TEXT);
CREATE TABLE IF NOT EXISTS held (id TEXT, blocker TEXT, reason TEXT);
"""
_INDEXES = {
    "beads_status": "beads(status, priority, created_at)",
    "beads_parent": "beads(parent)",
    "beads_order": "beads(priority, created_at, id)",
    "labels_id": "labels(id)",
    "labels_label": "labels(label)",
    "deps_id": "deps(id)",
    "deps_target": "deps(target)",
    "deps_type": "deps(type)",
    "held_id": "held(id)",
}
_SCHEMA = _TABLES + "".join(f"CREATE INDEX IF NOT EXISTS {name} ON {on};\n"
                            for name, on in _INDEXES.items())

# Per connection: triggers note which beads' rows or links a transaction changed, and the
# parents those beads had and have, so the transaction recomputes only the part of `held`
# that can follow from them (`blocking.update`).
_CHANGE_LOG = """
CREATE TEMP TABLE IF NOT EXISTS changed_beads (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS changed_parents (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TEMP TRIGGER IF NOT EXISTS beads_added AFTER INSERT ON main.beads BEGIN
    INSERT OR IGNORE INTO changed_beads VALUES (NEW.id);
    INSERT OR IGNORE INTO changed_parents SELECT NEW.parent WHERE NEW.parent IS NOT NULL;
END;
CREATE TEMP TRIGGER IF NOT EXISTS beads_removed AFTER DELETE ON main.beads BEGIN
    INSERT OR IGNORE INTO changed_beads VALUES (OLD.id);
    INSERT OR IGNORE INTO changed_parents SELECT OLD.parent WHERE OLD.parent IS NOT NULL;
END;
CREATE TEMP TRIGGER IF NOT EXISTS beads_changed AFTER UPDATE ON main.beads BEGIN
    INSERT OR IGNORE INTO changed_beads VALUES (OLD.id), (NEW.id);
    INSERT OR IGNORE INTO changed_parents SELECT OLD.parent WHERE OLD.parent IS NOT NULL;
    INSERT OR IGNORE INTO changed_parents SELECT NEW.parent WHERE NEW.parent IS NOT NULL;
END;
CREATE TEMP TRIGGER IF NOT EXISTS deps_added AFTER INSERT ON main.deps BEGIN
    INSERT OR IGNORE INTO changed_beads VALUES (NEW.id);
END;
CREATE TEMP TRIGGER IF NOT EXISTS deps_removed AFTER DELETE ON main.deps BEGIN
    INSERT OR IGNORE INTO changed_beads VALUES (OLD.id);
END;
CREATE TEMP TRIGGER IF NOT EXISTS deps_changed AFTER UPDATE ON main.deps BEGIN
    INSERT OR IGNORE INTO changed_beads VALUES (OLD.id), (NEW.id);
END;
"""

COMMITTED, WISP = 0, 1


def cache_path(state_dir: Path) -> Path:
    return state_dir / CACHE_NAME


def parent_of(doc: dict[str, Any]) -> str | None:
    for dep in doc.get("dependencies", ()):
        if dep["type"] == "parent-child":
            return dep["depends_on_id"]
    return None


def public_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document as readers see it: no bookkeeping, `parent` and the schema added."""
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    out["dependencies"] = [{"issue_id": doc["id"], **dep} for dep in doc.get("dependencies", ())]
    parent = parent_of(doc)
    if parent:
        out["parent"] = parent
    out["schema_version"] = SCHEMA_VERSION
    return out


class Cache:
    """One connection to the cache file; recreated from scratch when unreadable."""

    def __init__(self, state_dir: Path) -> None:
        self.path = cache_path(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._open()
        except sqlite3.DatabaseError:
            self.reset()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA temp_store=MEMORY")
        # A row that INSERT OR REPLACE displaces counts as removed, for the change log.
        db.execute("PRAGMA recursive_triggers=ON")
        if db.execute("SELECT name FROM sqlite_master WHERE name='kv'").fetchone() is None:
            db.executescript(_SCHEMA)
            db.execute("INSERT OR REPLACE INTO kv VALUES ('version', ?)", (CACHE_VERSION,))
        elif self._get(db, "version") != CACHE_VERSION:
            db.close()
            raise sqlite3.DatabaseError("cache format changed")
        db.executescript(_CHANGE_LOG)
        return db

    def reset(self) -> None:
        """Throw the cache away and start empty."""
        with contextlib.suppress(AttributeError, sqlite3.Error):
            self.db.close()
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")
        self.db = self._open()

    @staticmethod
    def _get(db: sqlite3.Connection, key: str) -> str | None:
        row = db.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def get(self, key: str) -> str | None:
        return self._get(self.db, key)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Changes made in the block, with what holds beads back brought up to date, or none."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            changed = [bead for (bead,) in db.execute("SELECT id FROM changed_beads")]
            parents = [bead for (bead,) in db.execute("SELECT id FROM changed_parents")]
            blocking.update(db, changed, parents)
            db.execute("DELETE FROM changed_beads")
            db.execute("DELETE FROM changed_parents")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @staticmethod
    def set(db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, value))

    @staticmethod
    def clear_layer(db: sqlite3.Connection, layer: int) -> None:
        ids = "SELECT id FROM beads WHERE layer=?"
        for table in ("labels", "deps", "docs"):
            db.execute(f"DELETE FROM {table} WHERE id IN ({ids})", (layer,))
        db.execute("DELETE FROM beads WHERE layer=?", (layer,))
        db.execute("DELETE FROM junk WHERE layer=?", (layer,))

    @staticmethod
    def remove(db: sqlite3.Connection, bead_id: str, layer: int) -> None:
        if db.execute("SELECT 1 FROM beads WHERE id=? AND layer=?",
                      (bead_id, layer)).fetchone() is None:
            return
        for table in ("beads", "docs", "labels", "deps"):
            db.execute(f"DELETE FROM {table} WHERE id=?", (bead_id,))

    @classmethod
    def bulk_load(cls, db: sqlite3.Connection, docs: Iterable[dict[str, Any]]) -> None:
        """Fill an empty committed layer fast: no per-row checks, indexes built once after."""
        for name in _INDEXES:
            db.execute(f"DROP INDEX IF EXISTS {name}")
        cls.put(db, docs, COMMITTED, fresh=True)
        for name, on in _INDEXES.items():
            db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {on}")

    @staticmethod
    def put_junk(db: sqlite3.Connection, path: str, layer: int, reason: str) -> None:
        db.execute("INSERT OR REPLACE INTO junk VALUES (?, ?, ?)", (path, layer, reason))

    @staticmethod
    def drop_junk(db: sqlite3.Connection, path: str) -> None:
        db.execute("DELETE FROM junk WHERE path=?", (path,))

    @classmethod
    def put(cls, db: sqlite3.Connection, docs: Iterable[dict[str, Any]], layer: int,
            fresh: bool = False) -> None:
        """Store documents; a committed bead wins over a wisp copy of the same id.

        `fresh` means the layer holds none of these ids yet (a full rebuild): no checks.
        """
        rows, texts, labels, deps = [], [], [], []
        for doc in docs:
            bead_id = doc["id"]
            if not fresh:
                existing = db.execute("SELECT layer FROM beads WHERE id=?",
                                      (bead_id,)).fetchone()
                if existing is not None:
                    if layer == WISP and existing[0] == COMMITTED:
                        continue
                    cls.remove(db, bead_id, existing[0])
            if doc.get("deleted"):
                continue
            view = public_view(doc)
            get = view.get
            search = "\n".join(str(get(k) or "") for k in
                               ("title", "description", "notes", "design",
                                "acceptance_criteria")).lower()
            rows.append((bead_id, layer, get("status"), get("priority"), get("issue_type"),
                         get("assignee"), get("owner"), get("title"), get("created_at"),
                         get("updated_at"), get("closed_at"), get("defer_until"),
                         int(bool(get("ephemeral")) or layer == WISP),
                         int(bool(get("close_failed"))), get("parent"),
                         int(get("issue_type") is not None
                             and get("issue_type") not in INFRA_TYPES)))
            texts.append((bead_id, search, canonical.dumps(view)))
            labels += [(bead_id, label) for label in view.get("labels", ())]
            deps += [(bead_id, d["depends_on_id"], d["type"],
                      canonical.dumps(d.get("metadata")).decode()) for d in doc["dependencies"]]
        verb = "INSERT" if fresh else "INSERT OR REPLACE"
        db.executemany(f"{verb} INTO beads VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        db.executemany(f"{verb} INTO docs VALUES (?,?,?)", texts)
        db.executemany("INSERT INTO labels VALUES (?,?)", labels)
        db.executemany("INSERT INTO deps VALUES (?,?,?,?)", deps)

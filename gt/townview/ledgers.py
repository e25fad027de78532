"""The town's ledgers as read caches: the town's own and every rig cloned here, each with
its tip (read from the ref file) and a current sqlite cache (refreshed only if stale)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from beads import gitdir, query
from beads.reader import Reader
from gt.rig import REPO_DIR
from gt.town import TOWN_PREFIX, Town


@dataclass
class LedgerView:
    """One ledger: `name` is `town` or the rig's name."""

    name: str
    prefix: str
    git_dir: Path
    tip: str | None = None
    problems: list[str] = field(default_factory=list)
    _reader: Reader | None = None
    _held: dict[str, list[tuple[str, str]]] | None = None

    @property
    def db(self) -> sqlite3.Connection:
        """The ledger's cache, current with its tip."""
        if self._reader is None:
            self._reader = Reader(gitdir.GitDirs(self.git_dir, self.git_dir))
            self._reader.current()
            self.problems = list(self._reader.problems)
        return self._reader.db

    @property
    def held(self) -> dict[str, list[tuple[str, str]]]:
        """Beads held back (blocked) -> what holds each, computed once per read."""
        if self._held is None:
            self._held = query.blockers(self.db).by_bead
        return self._held

    def beads(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """The documents of the beads an SQL `WHERE` clause over `beads b` selects."""
        rows = self.db.execute(f"SELECT d.doc FROM beads b JOIN docs d ON d.id = b.id "
                               f"WHERE {sql}", args)
        return [orjson.loads(row[0]) for row in rows]


def ledgers(town: Town) -> list[LedgerView]:
    """The town's ledger and those of the rigs cloned on this machine (name order)."""
    views = [LedgerView("town", TOWN_PREFIX, town.root / ".git")]
    for name in town.rig_names():
        repo = town.root / name / REPO_DIR
        if repo.is_dir():
            views.append(LedgerView(name, town.settings.rigs[name].prefix, repo))
    for view in views:
        view.tip = gitdir.read_ref(view.git_dir)
    return views


def by_prefix(views: list[LedgerView]) -> dict[str, LedgerView]:
    return {view.prefix: view for view in views}


def owning(views: list[LedgerView], bead_id: str) -> LedgerView | None:
    """The ledger a bead id's prefix names, if it is one of `views`."""
    return by_prefix(views).get(bead_id.split("-", 1)[0])

"""The SQL of the reads agents poll most (`ready`, `list`), and the bytes they print.

`beads.query` builds `ready` and `list` on these pieces; the fast read path
(`beads.cli.fast`) runs their default forms straight from here, so both print the same
bytes. It imports only what `sqlite3` itself loads: the fast path runs before anything else.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable

# The stored document, with its link counts (Beads' list items carry them).
DOC_WITH_COUNTS = ("SELECT d.doc, (SELECT count(*) FROM deps WHERE deps.id = b.id), "
                   "(SELECT count(*) FROM deps WHERE deps.target = b.id) "
                   "FROM beads b JOIN docs d ON d.id = b.id")
NOT_CLOSED = "status != 'closed'"
# What `ready` offers: open work (not machinery, not ephemeral) that nothing holds back
# (`held`, stored by beads.blocking) and that is not deferred to later than now (the one
# argument). The unary `+` keeps sqlite from driving the query by the ids in `held` or the
# status index (then sorting every open bead, its counts computed first): it walks the
# `beads_order` index instead and stops at the limit.
READY = ("+b.status = 'open' AND b.work = 1 AND b.ephemeral = 0 "
         "AND b.id NOT IN (SELECT id FROM held) "
         "AND (b.defer_until IS NULL OR b.defer_until <= ?)")
READY_BY_PRIORITY = " ORDER BY b.priority, b.created_at, b.id"


def list_order(column: str, descending: bool) -> str:
    direction = "DESC" if descending else "ASC"
    return f" ORDER BY {column} {direction}, created_at ASC, b.id ASC"


def now_iso() -> str:
    """The current time as RFC 3339 UTC with milliseconds (the ledger's timestamp form)."""
    ms = time.time_ns() // 1_000_000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def with_counts(rows: Iterable[tuple[bytes, int, int]]) -> list[bytes]:
    """Each stored JSON object with `dependency_count` and `dependent_count` appended."""
    return [doc[:-1] + b',"dependency_count":%d,"dependent_count":%d}' % (deps, dependents)
            for doc, deps, dependents in rows]


def docs(db: sqlite3.Connection, where: str, args: list[object], order: str,
         limit: int | None) -> list[bytes]:
    """The documents (with counts) of the beads `where` selects, in `order`, up to `limit`."""
    sql = DOC_WITH_COUNTS + where + order
    if limit:
        sql += f" LIMIT {int(limit)}"
    return with_counts(db.execute(sql, args))


def ready(db: sqlite3.Connection, limit: int | None) -> list[bytes]:
    """`bd ready --json` with no filters: by priority, then age, then id."""
    return docs(db, " WHERE " + READY, [now_iso()], READY_BY_PRIORITY, limit)


def open_beads(db: sqlite3.Connection, limit: int | None) -> list[bytes]:
    """`bd list --json` with no filters: every bead not closed, by priority."""
    return docs(db, " WHERE " + NOT_CLOSED, [], list_order("priority", False), limit)

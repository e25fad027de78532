"""The fast path for the reads agents run most: `bd ready --json` and `bd list --json`.

Agents poll these constantly. With the cache current they need neither pygit2 nor click
(together about 120 ms of imports), so they are answered here, before the command-line
framework is loaded. Anything else, any other flag, and every error go the ordinary way: the
fast path only ever answers what the full command would answer, byte for byte.

What this path loads is kept to `sqlite3` and three small modules written for it
(`beads.gitpaths`, `beads.cachefile`, `beads.readsql`): no pathlib, dataclasses, typing or
JSON library, whose imports alone would cost more than the query. The query itself reads what
every write stored (`beads.blocking`), so it walks no graph.
"""

from __future__ import annotations

import os
import sqlite3
import sys

from beads import cachefile, gitpaths, readsql


def _limit(args: list[str], default: int) -> int | None:
    """The -n/--limit value; None if the arguments hold anything else."""
    limit = default
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--json":
            continue
        if arg in ("-n", "--limit") and rest and rest[0].isdigit():
            limit = int(rest.pop(0))
            continue
        if arg.startswith("--limit=") and arg[8:].isdigit():
            limit = int(arg[8:])
            continue
        return None
    return limit


# Flags that change nothing a read prints: Beads' clients send them (beads-ui puts --sandbox
# before every call, beads-mcp --actor after it), and `list --tree=false` is the flat JSON list.
_NO_EFFECT = ("--sandbox", "--no-auto-flush", "--no-auto-import")
_LIST_NO_EFFECT = ("--tree=false", "--tree=true", "--tree")


def _without_no_effect(argv: list[str]) -> list[str]:
    out: list[str] = []
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if arg == "--actor" and rest:
            rest.pop(0)
        elif arg in _NO_EFFECT or arg.startswith("--actor="):
            continue
        else:
            out.append(arg)
    if out[:1] == ["list"]:
        out = [arg for arg in out if arg not in _LIST_NO_EFFECT]
    return out


def answer(argv: list[str]) -> bool:
    """Answer `argv` if it is a fast read on a current cache; False to take the full path."""
    argv = _without_no_effect(argv)
    if not argv or argv[0] not in ("ready", "list") or "--json" not in argv:
        return False
    limit = _limit(argv[1:], 10 if argv[0] == "ready" else 50)
    if limit is None:
        return False
    try:
        found = gitpaths.locate(gitpaths.start_dir())
        if found is None:
            return False
        common_dir = found[1]
        tip = gitpaths.read_ref(common_dir)
        if tip is None:
            return False
        db = cachefile.open_current(os.path.join(common_dir, gitpaths.STATE_DIR_NAME), tip)
        if db is None:
            return False
        try:
            rows = readsql.ready(db, limit) if argv[0] == "ready" \
                else readsql.open_beads(db, limit)
        finally:
            db.close()
    except (OSError, ValueError, sqlite3.Error):
        return False
    sys.stdout.buffer.write(b"[" + b",\n".join(rows) + b"]\n")
    sys.stdout.flush()
    return True

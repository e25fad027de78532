"""The molecule on an agent's hook, as `gt prime` and `gt mol current` show it.

Compact, so that a 1,000-step molecule still primes in a few lines: the steps done are
counted, not listed; the current step comes in full (description and acceptance); then the
titles of the next few. Reads the cache only (`beads.mol.record`), never pygit2.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from beads.errors import BeadsError
from beads.mol import progress, record

NEXT_TITLES = 3
LIMIT = {"description": 3000, "acceptance": 1200}


def molecule_of(db: sqlite3.Connection, bead: dict[str, Any]) -> record.Molecule | None:
    """The active molecule `bead` is the root of, or None."""
    info = record.info_of(bead)
    if info is None or info.get("state", record.ACTIVE) != record.ACTIVE:
        return None
    try:
        return record.from_root(db, bead)
    except BeadsError:
        return None


def compact(molecule: record.Molecule) -> dict[str, Any]:
    """The checklist an agent is shown: progress, the current step in full, what follows."""
    done, total = progress.counts(molecule)
    now = progress.current(molecule)
    current = None
    upcoming: list[dict[str, Any]] = []
    if now is not None:
        current = {"id": now.id, "bead": now.bead, "title": now.title,
                   "state": progress.state(now), "description": _trim(now.description,
                                                                        "description"),
                   "acceptance": _trim(now.acceptance, "acceptance")}
        position = molecule.steps.index(now)
        upcoming = [{"id": s.id, "bead": s.bead, "title": s.title, "state": progress.state(s)}
                    for s in molecule.steps[position + 1:] if not s.done][:NEXT_TITLES]
    return {"id": molecule.id, "formula": molecule.info.get("formula", ""),
            "done": done, "total": total, "complete": done == total, "current": current,
            "next": upcoming,
            "remaining": max(total - done - (1 if current else 0) - len(upcoming), 0)}


def render(section: dict[str, Any]) -> list[str]:
    """Markdown lines for the checklist."""
    lines = [f"## Molecule {section['formula']} ({section['id']}): "
             f"{section['done']}/{section['total']} steps done"]
    if section["done"]:
        lines.append(f"✓ {section['done']} step(s) done")
    current = section["current"]
    if current is None:
        lines.append("Every step is done: run `gt done`." if section["complete"]
                     else "No step can run now: each waits on another.")
        return [*lines, ""]
    where = f" ({current['bead']})" if current["bead"] else ""
    lines.append(f"→ current step {current['id']}{where}: {current['title']}")
    if current["description"]:
        lines += [current["description"]]
    if current["acceptance"]:
        lines += ["acceptance:", current["acceptance"]]
    for step in section["next"]:
        lines.append(f"○ then {step['id']}: {step['title']}")
    if section["remaining"]:
        lines.append(f"… and {section['remaining']} more step(s)")
    return [*lines, ""]


def next_step_text(section: dict[str, Any]) -> str:
    """What the agent does next, for prime's last section."""
    current = section["current"]
    if current is None:
        return ("Every step of the molecule is done: run `gt done`." if section["complete"]
                else "No step of your molecule can run now; run `gt mol current` later.")
    return (f"Do step {current['id']} of your molecule; when it is done run `gt mol step done` "
            "(it shows the next). After the last step, run `gt done`.")


def _trim(text: str, key: str) -> str:
    limit = LIMIT[key]
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more " \
                                                           "characters: `bd show` has all)"

"""The molecule on an agent's hook, as `gt prime` and `gt mol current` show it.

Compact, so that a 1,000-step molecule still primes in a few lines: the steps done are
counted, not listed; the current step comes in full (description and acceptance); then the
titles of the next few. Reads the cache only, never pygit2. For a molecule whose steps are
beads, the steps' states come from the cache's status and dependency columns and only the
few steps shown are decoded, so priming a 1,025-step molecule costs a few milliseconds;
the states follow `beads.mol.progress` (the same `state` and `current`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from beads import canonical
from beads.mol import progress, record

NEXT_TITLES = 3
LIMIT = {"description": 3000, "acceptance": 1200}


def for_bead(db: sqlite3.Connection, bead: dict[str, Any]) -> dict[str, Any] | None:
    """The checklist of the active molecule `bead` is the root of; None for other beads."""
    info = record.info_of(bead)
    if info is None or info.get("state", record.ACTIVE) != record.ACTIVE:
        return None
    molecule = record.Molecule(bead, info)
    if molecule.inline:
        molecule.steps = record.from_root(db, bead).steps
        return compact(molecule)
    molecule.steps = _bare_steps(db, molecule)
    return compact(molecule, lambda ids: _described(db, ids))


def _bare_steps(db: sqlite3.Connection, molecule: record.Molecule) -> list[record.Step]:
    """Each step bead with its status and what it waits on, but no text (see the module)."""
    root = molecule.id
    status = dict(db.execute("SELECT id, status FROM beads WHERE parent = ?", (root,)))
    waiting: dict[str, list[str]] = {}
    for bead_id, target in db.execute(
            "SELECT d.id, d.target FROM deps d JOIN beads b ON b.id = d.id "
            "JOIN beads t ON t.id = d.target WHERE b.parent = ? AND d.type = 'blocks' "
            "AND t.status != 'closed'", (root,)):
        waiting.setdefault(bead_id, []).append(target)
    return [record.Step(id=bead_id, title="", type="", needs=[], status=status[bead_id],
                        waiting=waiting.get(bead_id, []), bead=bead_id)
            for bead_id in molecule.step_bead_ids() if bead_id in status]


def _described(db: sqlite3.Connection, steps: list[record.Step]) -> list[record.Step]:
    """The same steps with their formula ids and text, read from their documents."""
    out = []
    for step in steps:
        row = db.execute("SELECT doc FROM docs WHERE id = ?", (step.bead,)).fetchone()
        doc = canonical.loads(row[0]) if row else {}
        out.append(record.Step(
            id=(record.step_of(doc) or {}).get("id", step.id), title=doc.get("title", ""),
            type=step.type, needs=step.needs, status=step.status, waiting=step.waiting,
            bead=step.bead, description=doc.get("description") or "",
            acceptance=doc.get("acceptance_criteria") or ""))
    return out


def compact(molecule: record.Molecule,
            describe: Any = None) -> dict[str, Any]:
    """The checklist an agent is shown: progress, the current step in full, what follows.
    `describe` fills in the text of the few steps shown, when the steps came without it."""
    done, total = progress.counts(molecule)
    now = progress.current(molecule)
    current = None
    upcoming: list[dict[str, Any]] = []
    if now is not None:
        position = molecule.steps.index(now)
        shown = [now, *[s for s in molecule.steps[position + 1:] if not s.done][:NEXT_TITLES]]
        states = [progress.state(s) for s in shown]
        if describe is not None:
            shown = describe(shown)
        now = shown[0]
        current = {"id": now.id, "bead": now.bead, "title": now.title, "state": states[0],
                   "description": _trim(now.description, "description"),
                   "acceptance": _trim(now.acceptance, "acceptance")}
        upcoming = [{"id": s.id, "bead": s.bead, "title": s.title, "state": state}
                    for s, state in zip(shown[1:], states[1:], strict=True)]
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

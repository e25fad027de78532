"""Where a molecule stands: each step's state, the current step, progress, staleness.

Pure functions of a `record.Molecule`. A step is `done` (closed), `active` (claimed: in
progress or hooked), `ready` (every need closed) or `blocked`. The current step is the
first active step whose needs are closed, else the first ready one, in the protomolecule's
order (each step after what it needs), so a resumed agent continues where the last one was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from beads.model import parse_time
from beads.mol.record import ACTIVE, Molecule, Step

DONE, ACTIVE_STEP, READY, BLOCKED = "done", "active", "ready", "blocked"
_CLAIMED = ("in_progress", "hooked")


def state(step: Step) -> str:
    if step.done:
        return DONE
    if step.waiting:
        return BLOCKED
    return ACTIVE_STEP if step.status in _CLAIMED else READY


def current(molecule: Molecule) -> Step | None:
    """The step to work on now; None when every step is done or waits on something."""
    states = [(step, state(step)) for step in molecule.steps]
    for wanted in (ACTIVE_STEP, READY):
        for step, found in states:
            if found == wanted:
                return step
    return None


def counts(molecule: Molecule) -> tuple[int, int]:
    """(done, total) steps."""
    return sum(1 for s in molecule.steps if s.done), len(molecule.steps)


def complete(molecule: Molecule) -> bool:
    done, total = counts(molecule)
    return done == total


def last_activity(molecule: Molecule) -> str:
    """The newest update time of the root and its steps (RFC 3339)."""
    times = [molecule.root.get("updated_at") or molecule.root.get("created_at") or ""]
    times += [s.updated_at for s in molecule.steps if s.updated_at]
    return max(times)


def staleness(molecule: Molecule, idle_seconds: float, now: datetime) -> str | None:
    """Why an active, open molecule is stale (None when it is not): every step is done but
    its root is still open, or nothing moved for `idle_seconds`."""
    if molecule.root.get("status") == "closed" or molecule.state != ACTIVE:
        return None
    if complete(molecule):
        return "every step is done but the molecule is still open"
    last = last_activity(molecule)
    idle = (now - parse_time(last)).total_seconds() if last else 0.0
    if idle >= idle_seconds:
        return f"no progress for {_duration(idle)} (last at {last})"
    return None


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes}m"
    hours = minutes // 60
    return f"{hours}h" if hours < 48 else f"{hours // 24}d"


def step_view(step: Step) -> dict[str, Any]:
    """A step as `--json` shows it."""
    out: dict[str, Any] = {"id": step.id, "bead": step.bead, "title": step.title,
                           "type": step.type, "state": state(step), "status": step.status,
                           "needs": step.needs, "waiting_on": step.waiting}
    if step.assignee:
        out["assignee"] = step.assignee
    if step.done:
        out["closed_at"] = step.closed_at
        out["outcome"] = "failed" if step.failed else (step.close_reason or "done")
    return out


def summary(molecule: Molecule) -> dict[str, Any]:
    """The molecule at a glance: identity, progress, current step."""
    done, total = counts(molecule)
    now = current(molecule)
    info = molecule.info
    return {"id": molecule.id, "title": molecule.root.get("title", ""),
            "formula": info.get("formula", ""), "version": info.get("version"),
            "status": molecule.root.get("status"), "state": molecule.state,
            "ephemeral": molecule.ephemeral, "inline": molecule.inline,
            "done": done, "total": total, "complete": done == total,
            "percent": round(100 * done / total) if total else 100,
            "current": now.id if now else None,
            "current_bead": now.bead if now else None}


def progress(molecule: Molecule) -> dict[str, Any]:
    """The summary with every step's state."""
    return {**summary(molecule), "steps": [step_view(s) for s in molecule.steps]}


def checklist(molecule: Molecule) -> dict[str, Any]:
    """The progress with the current step in full (None when none can run): what an agent
    is shown."""
    step = current(molecule)
    now = None
    if step is not None:
        now = {**step_view(step), "description": step.description,
               "acceptance": step.acceptance}
    return {**progress(molecule), "current": now}

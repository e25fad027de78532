"""The digest a squashed molecule leaves: one bead summing up its steps and their outcomes.

The formula's `[squash]` table shapes it: `include_metrics` (default true) adds counts and
timings, `template_type` (default `work`) is recorded, and `trigger = "on_complete"` makes
finishing the last step squash the molecule (`lifecycle.step_done`).
"""

from __future__ import annotations

from typing import Any

from beads.creation import NewBead
from beads.model import MAX_TITLE, parse_time
from beads.mol import progress
from beads.mol.record import DIGEST_LABEL, Molecule, Step


def settings(molecule: Molecule) -> dict[str, Any]:
    """The formula's `[squash]` table (empty when it has none)."""
    value = molecule.info.get("proto", {}).get("squash")
    return value if isinstance(value, dict) else {}


def squashes_on_complete(molecule: Molecule) -> bool:
    return settings(molecule).get("trigger") == "on_complete"


def outcome(step: Step) -> str:
    if not step.done:
        return "not done"
    if step.failed:
        return "failed" + (f": {step.close_reason}" if step.close_reason else "")
    return step.close_reason or "done"


def metrics(molecule: Molecule) -> dict[str, Any]:
    """Counts and timings: steps done of all, when it started and finished, how long."""
    done, total = progress.counts(molecule)
    started = str(molecule.root.get("created_at") or "")
    finished = max((s.closed_at for s in molecule.steps if s.closed_at), default="")
    out: dict[str, Any] = {"steps_done": done, "steps_total": total, "started_at": started,
                           "finished_at": finished}
    if started and finished:
        seconds = (parse_time(finished) - parse_time(started)).total_seconds()
        out["duration_seconds"] = max(0, round(seconds))
    return out


def build(molecule: Molecule, title: str | None = None) -> NewBead:
    """The digest bead of `molecule` as it stands (committed, never a wisp)."""
    config = settings(molecule)
    info = molecule.info
    steps = [{"id": s.id, "title": s.title, "outcome": outcome(s)} for s in molecule.steps]
    data: dict[str, Any] = {"molecule": molecule.id, "formula": info.get("formula", ""),
                            "version": info.get("version"), "vars": info.get("vars", {}),
                            "template_type": config.get("template_type", "work"),
                            "steps": steps}
    lines = [f"Molecule {molecule.id}: formula {data['formula']} v{data['version']}"]
    if data["vars"]:
        lines.append("Variables: " + ", ".join(f"{k}={v}" for k, v in data["vars"].items()))
    if config.get("include_metrics", True):
        data["metrics"] = metrics(molecule)
        numbers = data["metrics"]
        lines.append(f"Steps done: {numbers['steps_done']}/{numbers['steps_total']}"
                     + (f" in {numbers['duration_seconds']}s"
                        if "duration_seconds" in numbers else ""))
    lines.append("")
    lines += [f"- [{'x' if s.done else ' '}] {s.id}: {s.title} ({outcome(s)})"
              for s in molecule.steps]
    name = title or f"Digest: {molecule.root.get('title') or molecule.id}"
    return NewBead(title=name[:MAX_TITLE], labels=[DIGEST_LABEL],
                   fields={"issue_type": molecule.root.get("issue_type") or "task",
                           "description": "\n".join(lines), "metadata": {"digest": data}})

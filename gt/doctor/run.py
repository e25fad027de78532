"""Running `gt doctor`: every check group in order, then, with `--fix`, each safe repair."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gt.doctor import hooks, ledgers, locks, machinery, places, settings
from gt.doctor.finding import Finding, Options, problem
from gt.errors import GtError
from gt.settings import SettingsError
from gt.town import TOWN_FILE, Town

GROUPS = (settings, hooks, locks, ledgers, machinery, places)


def examine(root: Path, options: Options) -> list[Finding]:
    """Every finding about the town at `root`; a town whose settings do not load gets that
    one finding (nothing else can be read without them)."""
    try:
        town = Town(root)
    except SettingsError as error:
        return [problem("town settings", TOWN_FILE, error.message,
                        "fix the file (gt config set checks what it writes)")]
    found: list[Finding] = []
    for group in GROUPS:
        try:
            found += group.check(town, options)
        except GtError as error:
            name = group.__name__.rsplit(".", 1)[-1]
            found.append(problem(name, "town", f"the check failed: {error.message}",
                                 "run it again; report it if it persists"))
    return found


def repair(found: list[Finding]) -> None:
    """Run the repair of every finding that has one; record what it did or why it failed."""
    for finding in found:
        if finding.ok or finding.repair is None:
            continue
        try:
            finding.fixed = finding.repair()
        except (GtError, OSError) as error:
            finding.fix_failed = getattr(error, "message", None) or str(error)


def report(found: list[Finding]) -> dict[str, Any]:
    problems = [f for f in found if not f.ok]
    return {"ok": all(f.fixed for f in problems),
            "checked": len(found), "problems": len(problems),
            "fixed": sum(1 for f in problems if f.fixed),
            "findings": [f.to_dict() for f in found]}

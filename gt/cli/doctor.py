"""`gt doctor [--fix] [--verify]`: check the town's plumbing, and repair what is safe."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from beads.cli.output import safe
from gt.cli.common import echo, handles_errors, json_option, show
from gt.doctor.finding import Options
from gt.doctor.run import examine, repair, report
from gt.errors import GtError
from gt.town import TOWN_FILE


@click.command()
@click.option("--fix", is_flag=True, help="Repair what is safe to repair, and say what.")
@click.option("--verify", is_flag=True, help="Also run `bd verify` on every ledger (slow).")
@click.option("--all", "show_all", is_flag=True, help="Show the checks that passed too.")
@json_option
@handles_errors
def doctor(fix: bool, verify: bool, show_all: bool) -> None:
    """Check hooks, refspecs, the reactor, Refineries, caches, wisps, worktrees, sessions,
    locks and settings; each problem comes with its fix."""
    root = _town_root()
    found = examine(root, Options(verify=verify))
    if fix:
        repair(found)
    result = report(found)

    def human() -> None:
        for finding in found:
            if finding.ok and not show_all:
                continue
            mark = "ok " if finding.ok else "FIX" if finding.fixed else "ERR"
            echo(safe(f"{mark} {finding.check}: {finding.subject}: {finding.message}"))
            if finding.fixed:
                echo(safe(f"    fixed: {finding.fixed}"))
            elif finding.fix_failed:
                echo(safe(f"    fix failed: {finding.fix_failed}"))
            elif not finding.ok:
                how = " (gt doctor --fix does it)" if finding.repair else ""
                echo(safe(f"    fix: {finding.advice}{how}"))
        left = result["problems"] - result["fixed"]
        echo(f"{result['checked']} checks, {result['problems']} problem(s)"
             + (f", {result['fixed']} fixed" if fix else "")
             + ("" if left else "; all well"))

    show(result, human)
    if not result["ok"]:
        left = result["problems"] - result["fixed"]
        sys.stderr.write(f"gt: doctor: {left} problem(s) left\n")
        sys.exit(1)


def _town_root() -> Path:
    """The town's directory, found even when its settings do not load (Town.find loads
    them)."""
    here = Path(os.environ.get("GT_TOWN") or os.getcwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / TOWN_FILE).is_file() and (candidate / ".git").exists():
            return candidate
    raise GtError(f"not in a town: {here} (make one with `gt install <dir>`)")


def register(group: click.Group) -> None:
    group.add_command(doctor)

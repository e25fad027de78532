"""`gt polecat list|status|nuke|gc|stale`: polecats with their judged state and evidence."""

from __future__ import annotations

from typing import Any

import click

from beads.cli.output import safe
from gt.agents import Address
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.supervision import polecats


def _line(item: dict[str, Any]) -> str:
    mark = "●" if item["live"] else "○"
    hook = f"  hook: {item['hook']}" if item["hook"] else ""
    why = f"  ({safe(str(item['evidence']['why']))})" if item["evidence"].get("why") else ""
    return f"{mark} {item['agent']:<28} {item['state']:<9}{hook}{why}"


@click.group()
def polecat() -> None:
    """Polecats: states with evidence, nuke, garbage collection."""


@polecat.command("list")
@click.argument("rig", required=False)
@json_option
@handles_errors
def polecat_list(rig: str | None) -> None:
    items = polecats.states(ctx().town(), "polecat", rig)
    show(items, lambda: [echo(_line(i)) for i in items] if items else echo("no polecats"))


@polecat.command("status")
@click.argument("address")
@json_option
@handles_errors
def polecat_status(address: str) -> None:
    item = polecats.status(ctx().town(), Address.parse(address))

    def human() -> None:
        echo(_line(item))
        for key, value in item["evidence"].items():
            if value is not None:
                echo(f"  {key}: {safe(str(value))}")

    show(item, human)


@polecat.command("stale")
@click.argument("rig", required=False)
@json_option
@handles_errors
def polecat_stale(rig: str | None) -> None:
    items = polecats.stale(ctx().town(), rig)
    show(items, lambda: [echo(_line(i)) for i in items] if items else echo("none stale"))


@polecat.command("nuke")
@click.argument("address")
@click.option("--force", is_flag=True, help="Save unsaved work to a recovery ref, then nuke.")
@json_option
@handles_errors
def polecat_nuke(address: str, force: bool) -> None:
    """Stop a polecat, give its work back and remove its worktree."""
    result = polecats.nuke(ctx().town(), Address.parse(address), force)

    def human() -> None:
        echo(f"nuked {result['agent']}" + (f"; {result['released']} back to open"
                                           if result["released"] else ""))
        if result["recovery_ref"]:
            echo(f"unsaved work saved to {result['recovery_ref']}")

    show(result, human)


@polecat.command("gc")
@click.option("--dry-run", is_flag=True, help="Only report.")
@json_option
@handles_errors
def polecat_gc(dry_run: bool) -> None:
    """Find zombies and orphans; clean the safe ones, report the rest."""
    items = polecats.gc(ctx().town(), dry_run)
    show(items, lambda: [echo(f"{i['kind']}: {safe(i['name'])}: {i['action']}")
                         for i in items] if items else echo("nothing to collect"))


def register(group: click.Group) -> None:
    group.add_command(polecat)

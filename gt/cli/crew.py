"""`gt crew add|list|remove`: long-lived named worktrees for people."""

from __future__ import annotations

import click

from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.rig import Rig


@click.group()
def crew() -> None:
    """Crew: long-lived named worktrees for people."""


@crew.command("add")
@click.argument("name")
@click.option("--rig", "rig_name", required=True)
@handles_errors
def crew_add(name: str, rig_name: str) -> None:
    path = Rig(ctx().town(), rig_name).crew_add(name)
    echo(f"crew {name} ready at {path}")


@crew.command("list")
@click.option("--rig", "rig_name", required=True)
@json_option
@handles_errors
def crew_list(rig_name: str) -> None:
    names = Rig(ctx().town(), rig_name).crew_names()
    show(names, lambda: [echo(n) for n in names])


@crew.command("remove")
@click.argument("name")
@click.option("--rig", "rig_name", required=True)
@handles_errors
def crew_remove(name: str, rig_name: str) -> None:
    Rig(ctx().town(), rig_name).crew_remove(name)
    echo(f"crew {name} removed")


def register(group: click.Group) -> None:
    group.add_command(crew)

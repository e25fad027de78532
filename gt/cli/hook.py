"""`gt hook`: what is on an agent's hook (its work, not git hooks: see `gt hooks`)."""

from __future__ import annotations

import click

from beads.cli.output import safe
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.whoami import named_or_current
from gt.work.sling import hooked


@click.command()
@click.argument("address", required=False)
@json_option
@handles_errors
def hook(address: str | None) -> None:
    """What is on an agent's hook (yours by default)."""
    town = ctx().town()
    agent = named_or_current(town, address)
    bead = hooked(town, agent)
    show({"agent": str(agent), "bead": bead}, lambda: echo(
        f"{agent}: {bead['id']} {safe(bead['title'])}" if bead
        else f"{agent}: nothing on the hook"))


def register(group: click.Group) -> None:
    group.add_command(hook)

"""`gt nudge`: type text into an agent's live session, or queue it for its next prime."""

from __future__ import annotations

import click

from gt.agents import Address
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.launch import nudge_when_idle
from gt.whoami import actor


@click.command()
@click.argument("address")
@click.argument("text")
@json_option
@handles_errors
def nudge(address: str, text: str) -> None:
    """Type TEXT into an agent's live session (queued if it is not running)."""
    town = ctx().town()
    agent = Address.parse(address)
    result = nudge_when_idle(town, agent, text, actor(town))
    show({"agent": str(agent), "result": result}, lambda: echo(f"nudge {result}: {agent}"))


def register(group: click.Group) -> None:
    group.add_command(nudge)

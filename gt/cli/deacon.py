"""`gt deacon run|status`: the Deacon's loop, which keeps the reactor and the Refineries up."""

from __future__ import annotations

import click

from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.supervision import deacon as deacons


@click.group()
def deacon() -> None:
    """The Deacon: restarts the reactor and each Refinery when they die."""


@deacon.command("run")
@handles_errors
def deacon_run() -> None:
    """Run the Deacon's loop in the foreground."""
    deacons.run(ctx().town(), lambda line: echo(line))


@deacon.command("status")
@json_option
@handles_errors
def deacon_status() -> None:
    town = ctx().town()
    running, up = deacons.deacon_running(town), deacons.is_up(town)
    show({"running": running, "town_up": up},
         lambda: echo(f"deacon {'running' if running else 'not running'}; town "
                      f"{'up' if up else 'down'}"))


def register(group: click.Group) -> None:
    group.add_command(deacon)

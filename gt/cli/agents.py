"""`gt agents`: every agent of the town, its session state and hooked work."""

from __future__ import annotations

import click

from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.roster import all_agents


@click.command()
@json_option
@handles_errors
def agents() -> None:
    """Every agent of the town: session state and hooked work."""
    items = all_agents(ctx().town())

    def human() -> None:
        for item in items:
            mark = "●" if item["live"] else "○"
            hook = f"  hook: {item['hook']}" if item["hook"] else ""
            echo(f"{mark} {item['agent']:<28} {item['state']:<15}{hook}")

    show(items, human)


def register(group: click.Group) -> None:
    group.add_command(agents)

"""`gt agents`: every agent of the town, its session state and hooked work."""

from __future__ import annotations

import click

from beads.cli.output import safe
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.roster import all_agents
from gt.supervision.polecats import states


@click.command()
@json_option
@handles_errors
def agents() -> None:
    """Every agent of the town: its ledger state, its judged liveness (with the evidence
    under --json) and hooked work."""
    town = ctx().town()
    items = all_agents(town)
    judged = {item["agent"]: item for item in states(town)}
    for item in items:
        if item["agent"] in judged:
            item["liveness"] = judged[item["agent"]]["state"]
            item["evidence"] = judged[item["agent"]]["evidence"]

    def human() -> None:
        for item in items:
            mark = "●" if item["live"] else "○"
            hook = f"  hook: {item['hook']}" if item["hook"] else ""
            why = item.get("evidence", {}).get("why")
            judged_as = f"{item.get('liveness', '-'):<9}"
            echo(f"{mark} {item['agent']:<28} {item['state']:<15}{judged_as}{hook}"
                 + (f"  ({safe(str(why))})" if why else ""))

    show(items, human)


def register(group: click.Group) -> None:
    group.add_command(agents)

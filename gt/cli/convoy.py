"""`gt convoy create|list|status`: batches of tracked work, landed when every bead closes."""

from __future__ import annotations

import click

from beads.cli.output import safe
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.settings import STRATEGIES
from gt.whoami import actor
from gt.work import convoy as convoys


@click.group()
def convoy() -> None:
    """Convoys: batches of work tracked together; they land when every bead closes."""


@convoy.command("create")
@click.argument("name")
@click.argument("beads", nargs=-1, required=True)
@click.option("--strategy", type=click.Choice(STRATEGIES),
              help="How its finished work reaches the branch (default: the rig's).")
@json_option
@handles_errors
def convoy_create(name: str, beads: tuple[str, ...], strategy: str | None) -> None:
    town = ctx().town()
    me = actor(town)
    created = convoys.create(town, name, list(beads), owner=me, actor=me, strategy=strategy)
    show(created, lambda: echo(f"convoy {created['id']}: {safe(name)} ({len(beads)} beads)"))


@convoy.command("list")
@click.option("--all", "include_closed", is_flag=True, help="Landed convoys too.")
@json_option
@handles_errors
def convoy_list(include_closed: bool) -> None:
    rows = convoys.statuses(ctx().town(), include_closed)

    def human() -> None:
        if not rows:
            echo("no convoys")
        for row in rows:
            echo(f"{row['id']}  {row['status']:<7} {row['closed']}/{row['total']}  "
                 f"{safe(row['title'])}")

    show(rows, human)


@convoy.command("status")
@click.argument("convoy_id")
@json_option
@handles_errors
def convoy_status(convoy_id: str) -> None:
    state = convoys.status(ctx().town(), convoy_id)

    def human() -> None:
        echo(f"{state['id']} [{state['status']}] {safe(state['title'])}  "
             f"{state['closed']}/{state['total']} closed")
        for bead in state["beads"]:
            who = f" @{bead['assignee']}" if bead.get("assignee") else ""
            mr = f" mr:{bead['mr_state']}" if bead.get("mr_state") else ""
            echo(f"  ├─ {bead['id']} [{bead['status']}]{who}{mr} {safe(bead['title'] or '')}")

    show(state, human)


def register(group: click.Group) -> None:
    group.add_command(convoy)

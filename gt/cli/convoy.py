"""`gt convoy create|stage|launch|add|close|land|list|status`: batches of tracked work,
landed when every bead closes; staged convoys run in waves."""

from __future__ import annotations

import click

from beads.cli.output import safe
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.settings import STRATEGIES
from gt.whoami import actor
from gt.work import convoy as convoys
from gt.work import waves as staged


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


def _progress(state: dict) -> str:  # type: ignore[type-arg]
    return f"{state['id']} [{state['status']}] {state['closed']}/{state['total']} closed"


@convoy.command("add")
@click.argument("convoy_id")
@click.argument("beads", nargs=-1, required=True)
@json_option
@handles_errors
def convoy_add(convoy_id: str, beads: tuple[str, ...]) -> None:
    """Track more beads in an open convoy."""
    town = ctx().town()
    state = convoys.add(town, convoy_id, list(beads), actor=actor(town))
    show(state, lambda: echo(_progress(state)))


@convoy.command("close")
@click.argument("convoy_id")
@click.option("--reason", default="", help="Why it is closed before it landed.")
@json_option
@handles_errors
def convoy_close(convoy_id: str, reason: str) -> None:
    """Close a convoy by hand, whatever its beads' state."""
    town = ctx().town()
    state = convoys.close(town, convoy_id, reason, actor=actor(town))
    show(state, lambda: echo(_progress(state)))


@convoy.command("land")
@click.argument("convoy_id")
@json_option
@handles_errors
def convoy_land(convoy_id: str) -> None:
    """Land a convoy whose beads are all closed (the reactor does it on its own)."""
    state = convoys.land(ctx().town(), convoy_id)
    show(state, lambda: echo(f"landed {_progress(state)}"))


@convoy.command("stage")
@click.argument("name")
@click.option("--wave", "waves", multiple=True, required=True,
              help="The beads of one wave, comma-separated; repeat for each wave in order.")
@click.option("--strategy", type=click.Choice(STRATEGIES),
              help="How its finished work reaches the branch (default: the rig's).")
@json_option
@handles_errors
def convoy_stage(name: str, waves: tuple[str, ...], strategy: str | None) -> None:
    """File a convoy in waves; `gt convoy launch` slings the first."""
    town = ctx().town()
    me = actor(town)
    lists = [[b.strip() for b in wave.split(",") if b.strip()] for wave in waves]
    state = staged.stage(town, name, lists, owner=me, actor=me, strategy=strategy)
    show(state, lambda: echo(f"convoy {state['id']}: {safe(name)} ({len(lists)} waves, "
                             f"{state['total']} beads); launch it with gt convoy launch "
                             f"{state['id']}"))


@convoy.command("launch")
@click.argument("convoy_id")
@json_option
@handles_errors
def convoy_launch(convoy_id: str) -> None:
    """Sling the first wave of a staged convoy; each next wave starts when one lands."""
    town = ctx().town()
    result = staged.launch(town, convoy_id, actor=actor(town))

    def human() -> None:
        echo(f"convoy {result['convoy']}: wave 1 launched")
        for item in result["slung"]:
            echo(safe(f"  {item['bead']}: {item.get('error') or item['agent']}"))

    show(result, human)


def register(group: click.Group) -> None:
    group.add_command(convoy)

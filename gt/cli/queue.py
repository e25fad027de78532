"""`gt queue list|cancel|dispatch`: work slung while it could not start."""

from __future__ import annotations

import click

from beads.cli.output import safe
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.control import dispatch as dispatching
from gt.control import queue as queued
from gt.whoami import actor


@click.group()
def queue() -> None:
    """The sling queue: work waiting for a free polecat, a thaw or an unparked rig."""


@queue.command("list")
@json_option
@handles_errors
def queue_list() -> None:
    """Queued work in the order it will be slung."""
    items = [entry.to_dict() for entry in queued.entries(ctx().town())]

    def human() -> None:
        if not items:
            echo("nothing is queued")
        for item in items:
            echo(f"{item['bead']} [P{item['priority']}] for {item['queued_for']}: "
                 f"{safe(item['title'])}  (queued {item['queued_at']} by "
                 f"{safe(item['queued_by'])}: {safe(item['reason'])})")

    show(items, human)


@queue.command("cancel")
@click.argument("bead")
@json_option
@handles_errors
def queue_cancel(bead: str) -> None:
    """Take BEAD out of the queue; it stays open."""
    town = ctx().town()
    done = queued.cancel(town, bead, actor(town))
    show(done, lambda: echo(f"{done['bead']} is no longer queued (it was for "
                            f"{safe(str(done['was_queued_for']))})"))


@queue.command("dispatch")
@json_option
@handles_errors
def queue_dispatch() -> None:
    """Sling the queued work that can start now (the reactor does this by itself)."""
    outcomes = dispatching.dispatch(ctx().town())

    def human() -> None:
        if not outcomes:
            echo("nothing is queued here")
        for item in outcomes:
            echo(f"{item['bead']}: slung to {item['slung_to']}" if "slung_to" in item
                 else f"{item['bead']}: still queued, {safe(item['held'])}")

    show(outcomes, human)


def register(group: click.Group) -> None:
    group.add_command(queue)

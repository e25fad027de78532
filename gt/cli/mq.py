"""`gt mq list|show|retry|reject`: the merge queue of a rig."""

from __future__ import annotations

import click

from beads.cli.output import safe
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.refinery import mq as queue_by_hand
from gt.refinery.queue import requests
from gt.rig import Rig


@click.group()
def mq() -> None:
    """The merge queue of a rig."""


@mq.command("list")
@click.argument("rig_name")
@json_option
@handles_errors
def mq_list(rig_name: str) -> None:
    queue = [r.to_dict() for r in requests(Rig(ctx().town(), rig_name))]

    def human() -> None:
        if not queue:
            echo("the merge queue is empty")
        for item in queue:
            echo(f"{item['bead']}  P{item['priority']}  {item['commit'][:10]}  "
                 f"retries {item['retries']}")

    show(queue, human)


@mq.command("show")
@click.argument("rig_name")
@click.argument("bead")
@json_option
@handles_errors
def mq_show(rig_name: str, bead: str) -> None:
    """One request: its ref, commit, place in the queue and the bead's merge history."""
    info = queue_by_hand.describe(Rig(ctx().town(), rig_name), bead)

    def human() -> None:
        echo(f"{info['bead']}: {safe(info['title'])}")
        echo(f"  state: {info['mr_state']}  commit: {(info['commit'] or '-')[:10]}  "
             f"position: {info['position'] or '-'}  rejections: {info['rejections']}")
        for event in info["events"]:
            echo(f"  {event['ts']}  {safe(event['actor'])}: {event['mr_state']}")

    show(info, human)


@mq.command("retry")
@click.argument("rig_name")
@click.argument("bead")
@json_option
@handles_errors
def mq_retry(rig_name: str, bead: str) -> None:
    """Queue a rejected or dropped request again, at the commit it was made from."""
    queued = queue_by_hand.retry(Rig(ctx().town(), rig_name), bead, "overseer")
    show(queued, lambda: echo(f"{queued['bead']}: queued again at {queued['commit'][:10]} "
                              f"({queued['request']})"))


@mq.command("reject")
@click.argument("rig_name")
@click.argument("bead")
@click.option("-r", "--reason", required=True, help="Why (recorded on the bead).")
@json_option
@handles_errors
def mq_reject(rig_name: str, bead: str, reason: str) -> None:
    """Take a request out of the queue by hand; the bead goes back to open."""
    outcome = queue_by_hand.reject(Rig(ctx().town(), rig_name), bead, reason, "overseer")
    show(outcome.to_dict(), lambda: echo(f"{outcome.bead}: rejected ({safe(reason)})"))


def register(group: click.Group) -> None:
    group.add_command(mq)

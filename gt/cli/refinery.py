"""`gt refinery run|start|stop|status`: the Refinery of a rig, which merges its requests."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from beads.cli.output import safe
from gt.agents import Address
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.launch import start_refinery, stop
from gt.refinery.outcomes import Outcome
from gt.refinery.queue import requests
from gt.refinery.run import drain, run_forever
from gt.rig import Rig


def _report(outcome: Outcome) -> None:
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    click.echo(f"{stamp} {outcome.bead}: {outcome.action} {safe(outcome.reason)}", err=False)


@click.group()
def refinery() -> None:
    """The Refinery: merges each rig's requests to its default branch, one at a time."""


@refinery.command("run")
@click.argument("rig_name")
@click.option("--once", is_flag=True, help="Drain the queue, then exit.")
@json_option
@handles_errors
def refinery_run(rig_name: str, once: bool) -> None:
    """Run the Refinery in the foreground."""
    target = Rig(ctx().town(), rig_name)
    if once:
        outcomes = drain(target, None if ctx().json else _report)
        if ctx().json:
            show([o.to_dict() for o in outcomes], lambda: None)
        return
    run_forever(target, _report)


@refinery.command("start")
@click.argument("rig_name")
@handles_errors
def refinery_start(rig_name: str) -> None:
    town = ctx().town()
    started = start_refinery(town, Rig(town, rig_name))
    echo(f"refinery of {rig_name} {'started' if started else 'already running'}")


@refinery.command("stop")
@click.argument("rig_name")
@handles_errors
def refinery_stop(rig_name: str) -> None:
    town = ctx().town()
    Rig(town, rig_name)
    stop(town, Address("refinery", rig_name))
    echo(f"refinery of {rig_name} stopped")


@refinery.command("status")
@click.argument("rig_name")
@json_option
@handles_errors
def refinery_status(rig_name: str) -> None:
    town = ctx().town()
    target = Rig(town, rig_name)
    live = town.backend().is_live(Address("refinery", rig_name).session)
    queue = [r.to_dict() for r in requests(target)]
    show({"rig": rig_name, "running": live, "queue": queue},
         lambda: echo(f"refinery of {rig_name}: {'running' if live else 'stopped'}, "
                      f"{len(queue)} request(s) queued"))


def register(group: click.Group) -> None:
    group.add_command(refinery)

"""`gt status [--watch]`: the town on one screen, problems first (`gt.townview`)."""

from __future__ import annotations

import sys

import click

from beads.cli.output import emit_json
from gt.cli.common import ctx, echo, handles_errors, json_option
from gt.cli.statusview import clear_screen, render, stamp
from gt.townview.snapshot import read
from gt.townview.watch import TownWatch


@click.command()
@click.option("--watch", "-w", is_flag=True,
              help="Redraw whenever a ledger changes (until interrupted).")
@json_option
@handles_errors
def status(watch: bool) -> None:
    """The town at a glance: problems, agents, convoys, merge queues, escalations, health."""
    town = ctx().town()

    def draw() -> None:
        snapshot = read(town)
        if ctx().json:
            emit_json(snapshot)
            sys.stdout.flush()
            return
        if watch and sys.stdout.isatty():
            sys.stdout.write(clear_screen())
        echo(render(snapshot))
        if watch:
            echo(f"(watching; last change {stamp()}; Ctrl-C to stop)")
        sys.stdout.flush()

    draw()
    if not watch:
        return
    with TownWatch(town) as changes:
        try:
            while True:
                if changes.wait(timeout=None):
                    draw()
        except KeyboardInterrupt:
            return


def register(group: click.Group) -> None:
    group.add_command(status)

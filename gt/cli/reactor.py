"""`gt reactor run|start|stop|status`: the process that turns commits into actions."""

from __future__ import annotations

import os
import signal
import sys

import click

from beads.cli.output import safe
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.launch import start_reactor, stop_reactor
from gt.reactor.lock import running_pid
from gt.reactor.run import Reactor


@click.group()
def reactor() -> None:
    """The reactor: wakes agents, wakes Refineries and lands convoys as commits land."""


@reactor.command("run")
@handles_errors
def reactor_run() -> None:
    """Run the reactor in the foreground (one per town)."""
    town = ctx().town()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    echo(f"reactor for {town.root} (pid {os.getpid()})")
    Reactor(town, log=lambda text: click.echo(safe(text))).run()


@reactor.command("start")
@handles_errors
def reactor_start() -> None:
    started = start_reactor(ctx().town())
    echo("reactor started" if started else "the reactor is already running")


@reactor.command("stop")
@handles_errors
def reactor_stop() -> None:
    stop_reactor(ctx().town())
    echo("reactor stopped")


@reactor.command("status")
@json_option
@handles_errors
def reactor_status() -> None:
    pid = running_pid(ctx().town())
    show({"running": pid is not None, "pid": pid},
         lambda: echo(f"reactor running (pid {pid})" if pid else "reactor not running"))


def register(group: click.Group) -> None:
    group.add_command(reactor)

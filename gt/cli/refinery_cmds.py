"""`gt refinery`, `gt mq`, `gt up`/`gt down` and `gt mayor`: the town's standing sessions."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import click

from beads.cli.output import safe
from gt.agents import Address
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.cli.reactor_cmds import start_reactor
from gt.errors import GtError
from gt.launch import agent_env, backend, start
from gt.refinery.engine import Outcome
from gt.refinery.queue import requests
from gt.refinery.run import drain, run_forever
from gt.rig import Rig, rigs
from gt.runtimes.presets import tool_command
from gt.sessions import SessionSpec
from gt.town import Town


def start_refinery(town: Town, rig: Rig) -> bool:
    """Start the rig's Refinery session; False if it was already running."""
    address = Address("refinery", rig.name)
    sessions = backend(town)
    if sessions.is_live(address.session):
        return False
    log = town.state_dir / "logs" / f"{address.session}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    sessions.start(SessionSpec(name=address.session,
                               command=[*tool_command(), "refinery", "run", rig.name],
                               cwd=rig.refinery_dir, env=agent_env(town, address), log=log))
    return True


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
    backend(town).stop(Address("refinery", rig_name).session)
    echo(f"refinery of {rig_name} stopped")


@refinery.command("status")
@click.argument("rig_name")
@json_option
@handles_errors
def refinery_status(rig_name: str) -> None:
    town = ctx().town()
    target = Rig(town, rig_name)
    live = backend(town).is_live(Address("refinery", rig_name).session)
    queue = [r.to_dict() for r in requests(target)]
    show({"rig": rig_name, "running": live, "queue": queue},
         lambda: echo(f"refinery of {rig_name}: {'running' if live else 'stopped'}, "
                      f"{len(queue)} request(s) queued"))


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


@click.command()
@json_option
@handles_errors
def up() -> None:
    """Start the town's standing sessions: the reactor, each rig's Refinery (and the Mayor
    if a runtime is chosen for it)."""
    town = ctx().town()
    started = ["reactor"] if start_reactor(town) else []
    started += [f"{r.name}/refinery" for r in rigs(town) if start_refinery(town, r)]
    if town.config.get("agents", {}).get("mayor"):
        mayor = Address("mayor")
        if not backend(town).is_live(mayor.session):
            start(town, mayor)
            started.append("mayor")
    show({"started": started}, lambda: echo(
        f"started: {', '.join(started)}" if started else "everything was already running"))


@click.command()
@json_option
@handles_errors
def down() -> None:
    """Stop every session of the town."""
    town = ctx().town()
    sessions = backend(town)
    names = sessions.names()
    for name in names:
        sessions.stop(name)
    show({"stopped": names}, lambda: echo(f"stopped {len(names)} session(s)"))


@click.group()
def mayor() -> None:
    """The Mayor: the agent you talk to."""


@mayor.command("start")
@click.option("--agent", "runtime", help="Runtime for the Mayor's session.")
@handles_errors
def mayor_start(runtime: str | None) -> None:
    used = start(ctx().town(), Address("mayor"), runtime)
    echo(f"mayor started ({used})")


@mayor.command("stop")
@handles_errors
def mayor_stop() -> None:
    town = ctx().town()
    backend(town).stop(Address("mayor").session)
    echo("mayor stopped")


@mayor.command("attach")
@handles_errors
def mayor_attach() -> None:
    """Attach your terminal to the Mayor's tmux session."""
    town = ctx().town()
    sessions = backend(town)
    if sessions.kind != "tmux":
        raise GtError("attach needs tmux; without it, read the Mayor with `gt peek mayor`")
    if not sessions.is_live(Address("mayor").session):
        raise GtError("the Mayor is not running: `gt mayor start`")
    os.execvp("tmux", ["tmux", "-L", town.socket, "attach", "-t", Address("mayor").session])


def register(group: click.Group) -> None:
    for command in (refinery, mq, up, down, mayor):
        group.add_command(command)

"""`gt up`, `gt down`, `gt mayor`, `gt session` and `gt peek`: the town's sessions."""

from __future__ import annotations

import os

import click

from beads.cli.output import safe
from gt.agents import Address
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.control.sessions import start_session
from gt.control.sessions import status as session_info
from gt.errors import GtError
from gt.launch import restart, start, start_standing, stop, stop_all
from gt.sessions.tmux import tmux_name
from gt.work.sling import hooked


@click.command()
@json_option
@handles_errors
def up() -> None:
    """Start the town's standing sessions: the reactor, each rig's Refinery (and the Mayor
    if a runtime is chosen for it)."""
    started = start_standing(ctx().town())
    show({"started": started}, lambda: echo(
        f"started: {', '.join(started)}" if started else "everything was already running"))


@click.command()
@json_option
@handles_errors
def down() -> None:
    """Stop every session of the town."""
    names = stop_all(ctx().town())
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
    stop(ctx().town(), Address("mayor"))
    echo("mayor stopped")


@mayor.command("attach")
@handles_errors
def mayor_attach() -> None:
    """Attach your terminal to the Mayor's tmux session."""
    town = ctx().town()
    sessions = town.backend()
    if sessions.kind != "tmux":
        raise GtError("attach needs tmux; without it, read the Mayor with `gt peek mayor`")
    if not sessions.is_live(Address("mayor").session):
        raise GtError("the Mayor is not running: `gt mayor start`")
    os.execvp("tmux", ["tmux", "-L", town.socket, "attach", "-t", Address("mayor").session])


@click.group()
def session() -> None:
    """Agent sessions (tmux, or processes without tmux)."""


@session.command("list")
@json_option
@handles_errors
def session_list() -> None:
    sessions = ctx().town().backend()
    names = sessions.names()
    show({"backend": sessions.kind, "sessions": names},
         lambda: [echo(n) for n in names] if names else echo("no live sessions"))


@session.command("stop")
@click.argument("address")
@click.option("--if-idle", is_flag=True, help="Only if nothing is on the agent's hook.")
@handles_errors
def session_stop(address: str, if_idle: bool) -> None:
    town = ctx().town()
    agent = Address.parse(address)
    if if_idle and hooked(town, agent) is not None:
        echo(f"{agent} has work on its hook; left running")
        return
    stop(town, agent)
    echo(f"stopped {agent}")


@session.command("restart")
@click.argument("address")
@click.option("--agent", "runtime", help="Runtime to restart with.")
@handles_errors
def session_restart(address: str, runtime: str | None) -> None:
    town = ctx().town()
    agent = Address.parse(address)
    used = restart(town, agent, runtime)
    echo(f"restarted {agent} ({used})")


@session.command("start")
@click.argument("address")
@click.option("--agent", "runtime", help="Runtime to start with.")
@json_option
@handles_errors
def session_start(address: str, runtime: str | None) -> None:
    """Start an agent's session (refused while it runs, or while an e-stop holds it)."""
    done = start_session(ctx().town(), Address.parse(address), runtime)
    show(done, lambda: echo(f"started {done['agent']} ({done['runtime']})"))


@session.command("attach")
@click.argument("address")
@handles_errors
def session_attach(address: str) -> None:
    """Attach your terminal to an agent's tmux session."""
    town = ctx().town()
    agent = Address.parse(address)
    sessions = town.backend()
    if sessions.kind != "tmux":
        raise GtError(f"attach needs tmux; without it, read {agent} with `gt peek {agent}`")
    if not sessions.is_live(agent.session):
        raise GtError(f"{agent} is not running: `gt session start {agent}`")
    os.execvp("tmux", ["tmux", "-L", town.socket, "attach", "-t",
                       f"={tmux_name(agent.session)}"])


@session.command("status")
@click.argument("address")
@json_option
@handles_errors
def session_status(address: str) -> None:
    """An agent's session with its evidence: processes, output, e-stop, bead, hook."""
    state = session_info(ctx().town(), Address.parse(address))

    def human() -> None:
        echo(f"{state['agent']} ({state['backend']} session {state['session']}): "
             + ("live" if state["live"] else "not running")
             + (", frozen by the emergency stop" if state["frozen_here"] else ""))
        if state["started_at"]:
            echo(f"  started {state['started_at']}: {safe(' '.join(state['command'] or []))}")
        if state["processes"]:
            echo("  processes: " + ", ".join(f"{pid} {letter}" for pid, letter
                                            in state["processes"].items()))
        if state["last_output_at"]:
            echo(f"  last output {state['last_output_at']} ({safe(str(state['log']))})")
        echo(f"  agent state {state['agent_state']}, hook {state['hook'] or 'empty'}"
             + (f", held: {safe(state['hold'])}" if state["hold"] else ""))
        if state["runtime_session"]:
            echo(f"  runtime session {safe(str(state['runtime_session'].get('id')))}")

    show(state, human)


@click.command()
@click.argument("address")
@click.option("-n", "--lines", default=40, show_default=True)
@handles_errors
def peek(address: str, lines: int) -> None:
    """Recent output of an agent's session."""
    town = ctx().town()
    agent = Address.parse(address)
    text = town.backend().peek(agent.session, lines)
    if not text.strip():
        raise GtError(f"no output from {agent} (is it running? `gt agents`)")
    click.echo(safe(text, keep_newlines=True))


def register(group: click.Group) -> None:
    for command in (up, down, mayor, session, peek):
        group.add_command(command)

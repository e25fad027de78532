"""`gt prime`, `sling`, `hook`, `unsling`, `done`, `handoff` and `nudge`: the work loop."""

from __future__ import annotations

import os

import click

from beads.cli.output import safe
from gt.agents import Address
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.errors import GtError
from gt.launch import restart_soon, start, stop_soon
from gt.whoami import agent_ledger, current_agent, require_agent
from gt.work import done as done_mod
from gt.work import prime as prime_mod
from gt.work.nudge import nudge as send_nudge
from gt.work.sling import hooked, sling, unsling


def _agent(address: str | None) -> Address:
    town = ctx().town()
    return Address.parse(address) if address else require_agent(town)


@click.command()
@click.option("--hook", "from_hook", is_flag=True, help="Called by a runtime's start-up hook.")
@click.option("--agent", "address", help="Prime this agent (default: who you are).")
@json_option
@handles_errors
def prime(from_hook: bool, address: str | None) -> None:
    """Your role, your hooked work and your next step (printed into a session at start)."""
    town = ctx().town()
    agent = _agent(address)
    context = prime_mod.context(town, agent)
    if from_hook:
        ledger = agent_ledger(town, agent, str(agent))
        agent_id = agent.bead_id(ledger.prefix)
        state = "working" if context["hook"] else "idle"
        if ledger.get(agent_id).get("agent_state") != state:
            ledger.update_many(f"{agent} session started", {agent_id: {"agent_state": state}})
    show(context, lambda: click.echo(safe(prime_mod.render(context), keep_newlines=True),
                                     nl=False))


@click.command("sling")
@click.argument("bead")
@click.argument("target")
@click.option("--args", "args", help="Instructions for the worker, stored with the bead.")
@click.option("--force", is_flag=True, help="Re-sling work already on someone's hook.")
@click.option("--no-convoy", is_flag=True, help="Do not wrap the bead in a convoy.")
@click.option("--agent", "runtime", help="Runtime for a newly started session.")
@json_option
@handles_errors
def sling_cmd(bead: str, target: str, args: str | None, force: bool, no_convoy: bool,
              runtime: str | None) -> None:
    """Put BEAD on the hook of TARGET (a rig: an idle or new polecat; or an agent address)."""
    town = ctx().town()
    actor = str(current_agent(town) or "overseer")
    slung = sling(town, bead, target, args=args, force=force, convoy=not no_convoy,
                  runtime=runtime, actor=actor)
    show(slung.to_dict(), lambda: echo(
        f"slung {slung.bead} to {slung.agent} ({slung.wake})"
        + (f", branch {slung.branch}" if slung.branch else "")
        + (f", convoy {slung.convoy}" if slung.convoy else "")))


@click.command()
@click.argument("address", required=False)
@json_option
@handles_errors
def hook(address: str | None) -> None:
    """What is on an agent's hook (yours by default)."""
    town = ctx().town()
    agent = _agent(address)
    bead = hooked(town, agent)
    show({"agent": str(agent), "bead": bead}, lambda: echo(
        f"{agent}: {bead['id']} {safe(bead['title'])}" if bead
        else f"{agent}: nothing on the hook"))


@click.command("unsling")
@click.argument("address", required=False)
@json_option
@handles_errors
def unsling_cmd(address: str | None) -> None:
    """Take the work off an agent's hook; the bead goes back to open."""
    town = ctx().town()
    agent = _agent(address)
    bead_id = unsling(town, agent, actor=str(current_agent(town) or "overseer"))
    show({"agent": str(agent), "bead": bead_id},
         lambda: echo(f"unslung {bead_id} from {agent}"))


@click.command("release")
@click.argument("address")
@json_option
@handles_errors
def release(address: str) -> None:
    """Free an agent: unhook its work and stop its session."""
    town = ctx().town()
    agent = Address.parse(address)
    bead_id = unsling(town, agent, actor=str(current_agent(town) or "overseer"))
    town.backend().stop(agent.session)
    show({"agent": str(agent), "bead": bead_id},
         lambda: echo(f"released {agent}; {bead_id} is open again"))


@click.command("done")
@click.option("--status", default="completed", show_default=True,
              type=click.Choice(done_mod.STATUSES))
@click.option("--reason", help="Why (for escalated).")
@json_option
@handles_errors
def done_cmd(status: str, reason: str | None) -> None:
    """Finish your hooked work: make it a merge request (run in your worktree)."""
    town = ctx().town()
    agent = require_agent(town)
    result = done_mod.done(town, agent, status, reason)
    show(result, lambda: echo(
        f"{result['bead']}: merge request {result['ref']} at {result['commit'][:10]} "
        f"({result['request']})" if status == "completed"
        else f"{result['bead']}: {status}"))
    if os.environ.get("GT_AGENT") == str(agent):
        stop_soon(town, agent)


@click.command()
@click.option("-m", "--message", "note", default="", help="Note for your successor.")
@handles_errors
def handoff(note: str) -> None:
    """Leave a note and restart your session; the successor's `gt prime` shows the note."""
    town = ctx().town()
    agent = require_agent(town)
    ledger = agent_ledger(town, agent, str(agent))
    ledger.update_many(f"{agent} hands off", {agent.bead_id(ledger.prefix):
                                              {"handoff_note": note or None}})
    if town.backend().is_live(agent.session):
        restart_soon(town, agent)
    echo(f"handed off; a fresh session for {agent} will find your note")


@click.command()
@click.argument("address")
@click.argument("text")
@json_option
@handles_errors
def nudge(address: str, text: str) -> None:
    """Type TEXT into an agent's live session (queued if it is not running)."""
    town = ctx().town()
    agent = Address.parse(address)
    sender = str(current_agent(town) or "overseer")
    result = send_nudge(town, agent, text, sender)
    show({"agent": str(agent), "result": result}, lambda: echo(f"nudge {result}: {agent}"))


@click.group()
def session() -> None:
    """Agent sessions (tmux, or processes without tmux)."""


@session.command("list")
@json_option
@handles_errors
def session_list() -> None:
    town = ctx().town()
    names = town.backend().names()
    show({"backend": town.backend().kind, "sessions": names},
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
    town.backend().stop(agent.session)
    echo(f"stopped {agent}")


@session.command("restart")
@click.argument("address")
@click.option("--agent", "runtime", help="Runtime to restart with.")
@handles_errors
def session_restart(address: str, runtime: str | None) -> None:
    town = ctx().town()
    agent = Address.parse(address)
    town.backend().stop(agent.session)
    used = start(town, agent, runtime)
    echo(f"restarted {agent} ({used})")


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
    for command in (prime, sling_cmd, hook, unsling_cmd, release, done_cmd, handoff, nudge,
                    session, peek):
        group.add_command(command)

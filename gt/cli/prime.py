"""`gt prime`: an agent's role, hooked work and next step, printed into its session."""

from __future__ import annotations

import os
import sys

import click

from beads.cli.output import safe
from gt.cli.common import ctx, handles_errors, json_option, show
from gt.seance import hook_input
from gt.whoami import named_or_current
from gt.work import prime as priming


@click.command()
@click.option("--hook", "at_session_start", is_flag=True,
              help="Called by a runtime's start-up hook.")
@click.option("--agent", "address", help="Prime this agent (default: who you are).")
@json_option
@handles_errors
def prime(at_session_start: bool, address: str | None) -> None:
    """Your role, your hooked work and your next step (printed into a session at start)."""
    town = ctx().town()
    agent = named_or_current(town, address)
    context = priming.context(town, agent)
    if at_session_start:
        priming.session_started(town, agent, context, hook_input(sys.stdin),
                                os.environ.get("GT_RUNTIME"))
    show(context, lambda: click.echo(safe(priming.render(context), keep_newlines=True),
                                     nl=False))


def register(group: click.Group) -> None:
    group.add_command(prime)

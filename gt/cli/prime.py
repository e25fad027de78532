"""`gt prime`: an agent's role, hooked work and next step, printed into its session."""

from __future__ import annotations

import click

from gt.cli.common import ctx, handles_errors, json_option
from gt.cli.fast import print_prime


@click.command()
@click.option("--hook", "at_session_start", is_flag=True,
              help="Called by a runtime's start-up hook.")
@click.option("--agent", "address", help="Prime this agent (default: who you are).")
@json_option
@handles_errors
def prime(at_session_start: bool, address: str | None) -> None:
    """Your role, your hooked work and your next step (printed into a session at start)."""
    print_prime(ctx().town(), address, at_session_start, ctx().json)


def register(group: click.Group) -> None:
    group.add_command(prime)

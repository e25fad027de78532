"""`gt handoff`: leave a note for your successor and restart your session."""

from __future__ import annotations

import click

from gt.cli.common import ctx, echo, handles_errors
from gt.whoami import require_agent
from gt.work.handoff import handoff as hand_off


@click.command()
@click.option("-m", "--message", "note", default="", help="Note for your successor.")
@handles_errors
def handoff(note: str) -> None:
    """Leave a note and restart your session; the successor's `gt prime` shows the note."""
    town = ctx().town()
    agent = require_agent(town)
    hand_off(town, agent, note)
    echo(f"handed off; a fresh session for {agent} will find your note")


def register(group: click.Group) -> None:
    group.add_command(handoff)

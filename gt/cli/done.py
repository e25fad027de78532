"""`gt done`: a polecat hands its finished work to the Refinery as a merge request."""

from __future__ import annotations

import os

import click

from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.launch import stop_soon
from gt.whoami import require_agent
from gt.work import done as finishing


@click.command("done")
@click.option("--status", default="completed", show_default=True,
              type=click.Choice(finishing.STATUSES))
@click.option("--reason", help="Why (for escalated).")
@click.option("--force", is_flag=True,
              help="Finish with molecule steps still open: they are closed as skipped.")
@json_option
@handles_errors
def done_cmd(status: str, reason: str | None, force: bool) -> None:
    """Finish your hooked work: make it a merge request (run in your worktree)."""
    town = ctx().town()
    agent = require_agent(town)
    result = finishing.done(town, agent, status, reason, force=force)
    show(result, lambda: echo(
        f"{result['bead']}: merge request {result['ref']} at {result['commit'][:10]} "
        f"({result['request']})" if status == "completed"
        else f"{result['bead']}: {status}"))
    if os.environ.get("GT_AGENT") == str(agent):
        stop_soon(town, agent)


def register(group: click.Group) -> None:
    group.add_command(done_cmd)

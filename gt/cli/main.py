"""The `gt` command group and the registration of every command module."""

from __future__ import annotations

import click

from beads.cli.error_handler import run_click
from gt.cli import (
    agent_hook,
    agents,
    config,
    convoy,
    costs,
    crew,
    dashboard,
    deacon,
    demo,
    doctor,
    done,
    escalate,
    estop,
    feed,
    formula,
    githooks,
    handoff,
    hook,
    install,
    mail,
    mol,
    mq,
    nudge,
    polecat,
    prime,
    queue,
    reactor,
    refinery,
    rig,
    seance,
    sessions,
    sling,
    status,
    sync,
)
from gt.cli.common import GtContext, beat_for_agent


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--json", "as_json", is_flag=True, help="Print JSON (also accepted per command).")
@click.version_option(package_name="gastown-py", prog_name="gt")
@click.pass_context
def cli(context: click.Context, as_json: bool) -> None:
    """gt: a git-native orchestrator of coding-agent sessions."""
    context.obj = GtContext()
    context.obj.json = as_json
    beat_for_agent()


# One module per command group, named for it: gt/cli/<group>.py.
for module in (status, install, rig, crew, agents, config, prime, sling, hook, done, handoff,
               nudge, sessions, mail, convoy, refinery, mq, reactor, feed, githooks, sync, demo,
               agent_hook, polecat, escalate, deacon, queue, estop, seance, doctor, dashboard,
               formula, mol, costs):
    module.register(cli)


def main() -> None:
    """Run gt; every error ends as one line (beads.cli.error_handler)."""
    run_click("gt", cli)

"""`gt sling`, `gt unsling` and `gt release`: putting work on an agent's hook and taking it
off."""

from __future__ import annotations

import click

from beads.cli.output import safe
from gt.agents import Address
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.whoami import actor, named_or_current
from gt.work.sling import release, sling, unsling


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
    slung = sling(town, bead, target, args=args, force=force, convoy=not no_convoy,
                  runtime=runtime, actor=actor(town))
    if slung.queued is not None:
        show(slung.to_dict(), lambda: echo(
            f"queued {slung.bead} for {slung.agent}: {safe(str(slung.queued))}; it is slung "
            "when it can start (`gt queue list`)"
            + (f", convoy {slung.convoy}" if slung.convoy else "")))
        return
    show(slung.to_dict(), lambda: echo(
        f"slung {slung.bead} to {slung.agent} ({slung.wake})"
        + (f", branch {slung.branch}" if slung.branch else "")
        + (f", convoy {slung.convoy}" if slung.convoy else "")))


@click.command("unsling")
@click.argument("address", required=False)
@json_option
@handles_errors
def unsling_cmd(address: str | None) -> None:
    """Take the work off an agent's hook; the bead goes back to open."""
    town = ctx().town()
    agent = named_or_current(town, address)
    bead_id = unsling(town, agent, actor=actor(town))
    show({"agent": str(agent), "bead": bead_id},
         lambda: echo(f"unslung {bead_id} from {agent}"))


@click.command("release")
@click.argument("address")
@json_option
@handles_errors
def release_cmd(address: str) -> None:
    """Free an agent: unhook its work and stop its session."""
    town = ctx().town()
    agent = Address.parse(address)
    bead_id = release(town, agent, actor=actor(town))
    show({"agent": str(agent), "bead": bead_id},
         lambda: echo(f"released {agent}; {bead_id} is open again"))


def register(group: click.Group) -> None:
    for command in (sling_cmd, unsling_cmd, release_cmd):
        group.add_command(command)

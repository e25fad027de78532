"""`gt sling`, `gt unsling` and `gt release`: putting work on an agent's hook and taking it
off."""

from __future__ import annotations

import click

from beads.cli.formulas import parse_vars, preset_option, var_option
from beads.cli.output import safe
from gt.agents import Address
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.whoami import actor, named_or_current
from gt.work import formulas
from gt.work.sling import release, sling, unsling


@click.command("sling")
@click.argument("bead")
@click.argument("target")
@click.option("--args", "args", help="Instructions for the worker, stored with the bead.")
@click.option("--force", is_flag=True, help="Re-sling work already on someone's hook.")
@click.option("--no-convoy", is_flag=True, help="Do not wrap the bead in a convoy.")
@click.option("--agent", "runtime", help="Runtime for a newly started session.")
@click.option("--on", metavar="BEAD", help="BEAD is a formula: pour it onto this bead.")
@var_option
@preset_option
@json_option
@handles_errors
def sling_cmd(bead: str, target: str, args: str | None, force: bool, no_convoy: bool,
              runtime: str | None, on: str | None, variables: tuple[str, ...],
              preset: str) -> None:
    """Put BEAD on the hook of TARGET (a rig: an idle or new polecat; or an agent address).

    BEAD may be a formula: it is poured (onto --on BEAD, else as a new molecule) and hooked
    in one commit; a convoy formula's legs go to separate polecats."""
    town = ctx().town()
    rig = target if target in town.rig_names() else Address.parse(target).rig
    if on or variables or preset or formulas.is_formula(town, bead, rig):
        from gt.cli.formula import print_slung
        from gt.work.molsling import sling_formula

        result = sling_formula(town, bead, target, on=on, variables=parse_vars(variables),
                               preset=preset, args=args, force=force, convoy=not no_convoy,
                               runtime=runtime, actor=actor(town))
        show(result, lambda: print_slung(result))
        return
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

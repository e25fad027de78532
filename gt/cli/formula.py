"""`gt formula list|show|run`: the town's formulas (a rig's, the town's, the built-ins)."""

from __future__ import annotations

from typing import Any

import click

from beads.cli.formulas import parse_vars, preset_option, var_option
from beads.cli.output import safe
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.whoami import actor
from gt.work import formulas
from gt.work.molsling import sling_formula

rig_option = click.option("--rig", help="Search this rig's formulas/ first.")


@click.group("formula")
def formula() -> None:
    """Formulas: workflow templates poured into molecules (`gt sling <formula>`)."""


@formula.command("list")
@rig_option
@json_option
@handles_errors
def formula_list(rig: str | None) -> None:
    """Every formula the town offers, and where each comes from (rig, town or builtin)."""
    rows = formulas.listing(ctx().town(), rig)
    show(rows, lambda: [echo(f"{safe(r['name']):<36} {r['source']}") for r in rows])


@formula.command("show")
@click.argument("name")
@rig_option
@json_option
@handles_errors
def formula_show(name: str, rig: str | None) -> None:
    """A formula resolved (extends, compose): its variables and its steps or legs."""
    data = formulas.describe(ctx().town(), name, rig)

    def human() -> None:
        echo(f"{safe(data['name'])} ({data['type']}, version {data['version']})")
        if data["description"]:
            echo(safe(data["description"].strip().splitlines()[0]))
        for name_, var in data["vars"].items():
            need = "required" if var["required"] else f"default {var['default']!r}"
            echo(f"  var {safe(name_)}: {need}")
        for step in data["steps"] + data["legs"]:
            after = f"  (after {', '.join(step.get('needs', []))})" if step.get("needs") else ""
            echo(f"  - {safe(step['id'])}: {safe(step['title'])}{safe(after)}")

    show(data, human)


@formula.command("run")
@click.argument("name")
@click.argument("target")
@click.option("--on", metavar="BEAD", help="Pour onto this bead: it becomes the root.")
@var_option
@preset_option
@click.option("--agent", "runtime", help="Runtime for a newly started session.")
@json_option
@handles_errors
def formula_run(name: str, target: str, on: str | None, variables: tuple[str, ...],
                preset: str, runtime: str | None) -> None:
    """Pour formula NAME and sling it to TARGET (a rig or an agent); a convoy formula's legs
    go to separate polecats of the rig."""
    town = ctx().town()
    result = sling_formula(town, name, target, on=on, variables=parse_vars(variables),
                           preset=preset, runtime=runtime, actor=actor(town))
    show(result, lambda: print_slung(result))


def print_slung(result: dict[str, Any]) -> None:
    """The human line(s) of a formula slung."""
    if result["legs"]:
        echo(f"poured {safe(result['formula'])} as {result['molecule']}; "
             f"{len(result['legs'])} legs slung"
             + (f", convoy {result['convoy']}" if result["convoy"] else ""))
        for leg in result["legs"]:
            echo(f"  {leg['bead']} -> {leg['agent']} ({leg['wake']})")
        return
    where = f"onto {result['molecule']}" if result["attached"] else f"as {result['molecule']}"
    echo(f"poured {safe(result['formula'])} {where} ({result['steps']} steps) and slung it to "
         f"{result['agent']} ({result['wake']})"
         + (f", branch {result['branch']}" if result["branch"] else "")
         + (f", convoy {result['convoy']}" if result["convoy"] else ""))


def register(group: click.Group) -> None:
    group.add_command(formula)

"""`gt mol current` and `gt mol step done`: an agent works the molecule on its hook."""

from __future__ import annotations

from typing import Any

import click

from beads.cli.formulas import parse_vars, var_option
from beads.cli.output import safe
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.whoami import named_or_current
from gt.work import checklist, steps

agent_option = click.option("--agent", "address", help="Whose hook (default: yours).")
molecule_option = click.option("--molecule", help="A molecule other than the one hooked.")


@click.group("mol")
def mol() -> None:
    """The molecule on your hook: its current step, and finishing steps."""


def _print(data: dict[str, Any]) -> None:
    for text in checklist.render(data):
        if text:
            echo(safe(text, keep_newlines=True))
    echo(safe(data["next_step"]))


@mol.command("current")
@agent_option
@molecule_option
@json_option
@handles_errors
def mol_current(address: str | None, molecule: str | None) -> None:
    """Where your molecule stands: steps done, the current step in full, what follows."""
    town = ctx().town()
    data = steps.current(town, named_or_current(town, address), molecule)
    show(data, lambda: _print(data))


@mol.group("step")
def mol_step() -> None:
    """Steps of your molecule."""


@mol_step.command("done")
@click.argument("step", required=False)
@click.option("--reason", help="What came of the step.")
@agent_option
@molecule_option
@json_option
@handles_errors
def mol_step_done(step: str | None, reason: str | None, address: str | None,
                  molecule: str | None) -> None:
    """Finish STEP (the current one by default) and show the next; after the last step,
    run `gt done`."""
    town = ctx().town()
    data = steps.step_done(town, named_or_current(town, address), step, reason, molecule)

    def human() -> None:
        echo(f"finished {safe(data['finished']['id'])} ({data['finished']['bead']})")
        _print(data)

    show(data, human)


@mol.command("patrol")
@click.argument("formula")
@agent_option
@var_option
@json_option
@handles_errors
def mol_patrol(formula: str, address: str | None, variables: tuple[str, ...]) -> None:
    """Attach a patrol FORMULA to an agent as a wisp: the reactor wakes the agent when an
    event the patrol cares about lands (its wake_on variable)."""
    town = ctx().town()
    data = steps.start_patrol(town, named_or_current(town, address), formula,
                              parse_vars(variables))
    show(data, lambda: echo(f"patrol {safe(data['formula'])} ({data['molecule']}) attached "
                            f"to {data['agent']}: woken on {', '.join(data['wake_on'])}"))


def register(group: click.Group) -> None:
    group.add_command(mol)

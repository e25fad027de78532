"""`gt estop [--rig R] [--reason ...]`, `gt estop status` and `gt thaw`: the emergency stop."""

from __future__ import annotations

import click

from beads.cli.output import safe
from beads.model import check_utf8
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.control import estop as stopping
from gt.whoami import actor


@click.group(invoke_without_command=True)
@click.option("--rig", help="Freeze only this rig's sessions.")
@click.option("--reason", default="", help="Why: recorded with the stop.")
@json_option
@handles_errors
@click.pass_context
def estop(context: click.Context, rig: str | None, reason: str) -> None:
    """Freeze every agent session at once (stopped, not killed); `gt thaw` resumes them."""
    if context.invoked_subcommand is not None:
        return
    check_utf8(reason, "--reason")
    town = ctx().town()
    done = stopping.estop(town, rig, reason, actor(town))
    where = "the town" if done["scope"] == "town" else f"rig {done['scope']}"

    def human() -> None:
        echo(f"{where} {'was already' if done['already_frozen'] else 'is'} frozen: "
             f"{len(done['frozen'])} session(s) stopped now, {len(done['held'])} held here"
             + (f" ({safe(reason)})" if reason else ""))
        echo("slings queue until `gt thaw`")

    show(done, human)


@estop.command("status")
@json_option
@handles_errors
def estop_status() -> None:
    """The stops in force, parked rigs, and the sessions frozen on this machine."""
    state = stopping.status(ctx().town())

    def human() -> None:
        if not state["frozen"]:
            echo("not frozen")
        for scope, record in sorted(state["stops"].items()):
            where = "the town" if scope == "town" else f"rig {scope}"
            echo(f"{where}: frozen since {record.get('at')} by {safe(str(record.get('by')))}"
                 + (f" ({safe(str(record['reason']))})" if record.get("reason") else ""))
        for rig, record in sorted(state["parked"].items()):
            echo(f"rig {rig}: parked since {record.get('at')}")
        for name, entry in sorted(state["sessions"].items()):
            letters = "".join(sorted(set(entry["processes"].values()))) or "gone"
            echo(f"  {name} ({safe(str(entry['agent']))}): processes {letters}")

    show(state, human)


@click.command()
@click.option("--rig", help="Lift only this rig's stop (default: every stop).")
@json_option
@handles_errors
def thaw(rig: str | None) -> None:
    """Resume exactly what the emergency stop froze, then dispatch held work."""
    town = ctx().town()
    done = stopping.thaw(town, rig, actor(town))
    show(done, lambda: echo(
        f"thawed {', '.join(done['thawed'])}: {len(done['resumed'])} session(s) resumed, "
        f"{len(done['woken'])} woken, "
        f"{sum(1 for d in done['dispatched'] if 'slung_to' in d)} queued bead(s) slung"))


def register(group: click.Group) -> None:
    group.add_command(estop)
    group.add_command(thaw)

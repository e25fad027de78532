"""`gt escalate`: raise a problem to the Mayor (and beyond, for critical ones); list,
acknowledge and close escalations."""

from __future__ import annotations

import click

from beads.cli.output import safe
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.supervision import escalation
from gt.whoami import actor


class _EscalateGroup(click.Group):
    """`gt escalate <severity> <message>` files one; `list`, `ack` and `close` manage them."""

    def resolve_command(self, context: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in escalation.SEVERITIES:
            return "raise", self.commands["raise"], args
        return super().resolve_command(context, args)


@click.group(cls=_EscalateGroup)
def escalate() -> None:
    """Escalate: `gt escalate <critical|high|medium|low> <message> [--bead ID]`."""


@escalate.command("raise", hidden=True)
@click.argument("severity", type=click.Choice(list(escalation.SEVERITIES)))
@click.argument("message")
@click.option("--bead", help="The bead this is about.")
@json_option
@handles_errors
def escalate_raise(severity: str, message: str, bead: str | None) -> None:
    town = ctx().town()
    item = escalation.escalate(town, severity, message, actor(town), bead)
    show({"id": item["id"], "severity": severity, "routed": item["routed"]},
         lambda: echo(f"escalated {item['id']} ({severity}): {'; '.join(item['routed'])}"))


@escalate.command("list")
@click.option("--all", "include_closed", is_flag=True, help="Closed ones too.")
@json_option
@handles_errors
def escalate_list(include_closed: bool) -> None:
    items = escalation.listing(ctx().town(), include_closed)

    def human() -> None:
        if not items:
            echo("no open escalations")
        for item in items:
            acked = f"  acked by {item['acked_by']}" if item["acked_by"] else ""
            echo(f"{item['id']} [{item['severity']}] {safe(item['title'])}{acked}")

    show(items, human)


@escalate.command("ack")
@click.argument("escalation_id")
@json_option
@handles_errors
def escalate_ack(escalation_id: str) -> None:
    town = ctx().town()
    item = escalation.ack(town, escalation_id, actor(town))
    show({"id": item["id"], "acked_by": item.get("acked_by")},
         lambda: echo(f"acknowledged {item['id']}"))


@escalate.command("close")
@click.argument("escalation_id")
@click.option("--reason", help="How it was resolved.")
@json_option
@handles_errors
def escalate_close(escalation_id: str, reason: str | None) -> None:
    town = ctx().town()
    item = escalation.close(town, escalation_id, actor(town), reason)
    show({"id": item["id"], "status": item["status"]}, lambda: echo(f"closed {item['id']}"))


def register(group: click.Group) -> None:
    group.add_command(escalate)

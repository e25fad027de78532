"""`bd label add|rm|list`: labels on beads (`label remove` is `label rm`)."""

from __future__ import annotations

import click

from beads import query
from beads.cli.context import handles_errors, json_option, settings
from beads.cli.output import emit_json, line, safe


@click.group()
def label() -> None:
    """Labels: `bd label add gt-1 gt-2 urgent` labels both."""


@label.command("add")
@click.argument("args", nargs=-1, required=True)
@json_option
@handles_errors
def label_add(args: tuple[str, ...]) -> None:
    """Add the LABEL (last argument) to each BEAD."""
    _change("add", args)


@label.command("rm")
@click.argument("args", nargs=-1, required=True)
@json_option
@handles_errors
def label_rm(args: tuple[str, ...]) -> None:
    """Remove the LABEL (last argument) from each BEAD."""
    _change("rm", args)


def _change(action: str, args: tuple[str, ...]) -> None:
    if len(args) < 2:
        raise click.UsageError("give one or more beads, then the label")
    s = settings()
    *beads, name = args
    ledger = s.ledger()
    ids = (ledger.label_add if action == "add" else ledger.label_remove)(beads, name)
    if s.json:
        emit_json({"ids": ids, "label": name, "action": action})
    else:
        verb = "labelled" if action == "add" else "unlabelled"
        line(f"{verb} {', '.join(ids)}: {safe(name)}")


@label.command("list")
@click.argument("bead", required=False)
@json_option
@handles_errors
def label_list(bead: str | None) -> None:
    """A bead's labels, or every label in use with its count."""
    s = settings()
    db = s.db()
    if bead:
        labels = query.get(db, query.resolve(db, bead)).get("labels", [])
        if s.json:
            emit_json({"labels": labels})
        else:
            for name in labels:
                line(safe(name))
        return
    counts = dict(db.execute("SELECT label, count(*) FROM labels GROUP BY label ORDER BY label"))
    if s.json:
        emit_json({"labels": counts})
    else:
        for name, count in counts.items():
            line(f"{safe(name)}  {count}")


def register(group: click.Group) -> None:
    label.add_command(label_rm, name="remove")
    group.add_command(label)

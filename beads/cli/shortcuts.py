"""`bd count`, `note`, `defer` and `undefer`: Beads' short forms of a query and of updates."""

from __future__ import annotations

from typing import Any

import click

from beads import query
from beads.cli.context import handles_errors, json_option, settings
from beads.cli.output import emit_json, line, safe
from beads.cli.shaped import shaped


@click.command()
@click.option("-s", "--status", multiple=True, help="Statuses, comma-separated.")
@click.option("-t", "--type", "issue_type", multiple=True, help="Types, comma-separated.")
@click.option("-p", "--priority", help="Exactly this priority.")
@click.option("-a", "--assignee", help="Assigned to.")
@click.option("-l", "--label", multiple=True, help="Has all these labels.")
@click.option("--title", help="Title contains this text (any case).")
@click.option("--all", "include_closed", is_flag=True, help="Count closed beads too.")
@json_option
@handles_errors
def count(**options: Any) -> None:
    """How many beads match (open ones unless --all or --status says otherwise)."""
    from beads.cli.listing import _filters

    s = settings()
    total = len(query.list_docs(s.db(), _filters(**options)))
    if s.json:
        emit_json({"count": total})
    else:
        line(str(total))


@click.command()
@click.argument("bead")
@click.argument("text")
@json_option
@handles_errors
def note(bead: str, text: str) -> None:
    """Append TEXT to BEAD's notes (a new line)."""
    s = settings()
    result = s.ledger().update(bead, {}, append_notes=text)
    if s.json:
        emit_json(shaped([result])[0])
    else:
        line(f"noted on {result['id']}")


def _set_all(beads: tuple[str, ...], changes: dict[str, Any], verb: str) -> None:
    s = settings()
    ledger = s.ledger()
    done = [ledger.update(bead, changes) for bead in beads]
    if s.json:
        emit_json(shaped(done))
        return
    for bead in done:
        line(f"{verb} {bead['id']}: {safe(bead['title'])}")


@click.command()
@click.argument("beads", nargs=-1, required=True)
@click.option("--until", "until", help="Until this date/time (ready shows it again then).")
@json_option
@handles_errors
def defer(beads: tuple[str, ...], until: str | None) -> None:
    """Put beads aside: status deferred (and, with --until, a date to come back)."""
    changes: dict[str, Any] = {"status": "deferred"}
    if until:
        changes["defer_until"] = until
    _set_all(beads, changes, "deferred")


@click.command()
@click.argument("beads", nargs=-1, required=True)
@json_option
@handles_errors
def undefer(beads: tuple[str, ...]) -> None:
    """Bring deferred beads back: status open, no defer date."""
    _set_all(beads, {"status": "open", "defer_until": None}, "undeferred")


def register(group: click.Group) -> None:
    for command in (count, note, defer, undefer):
        group.add_command(command)

"""`bd show` and `bd history`: one bead now, at a past commit or date, and its whole story."""

from __future__ import annotations

import click

from beads import shapes
from beads.cli.context import handles_errors, json_option, settings
from beads.cli.output import bead_details, emit_json, line, safe


@click.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--as-of", help="Show the bead as it was at a commit (of the beads branch) or date.")
@json_option
@handles_errors
def show(ids: tuple[str, ...], as_of: str | None) -> None:
    """Show beads in full (partial ids resolve when unambiguous)."""
    s = settings()
    if as_of:
        beads = [s.ledger().show(i, as_of=as_of) for i in ids]
    else:
        db = s.db()
        beads = [shapes.details(db, i) for i in ids]
    if s.json:
        emit_json(beads[0] if len(beads) == 1 else beads)
        return
    for number, bead in enumerate(beads):
        if number:
            line()
        if bead.get("as_of"):
            line(f"(as of commit {bead['as_of'][:10]})")
        for row in bead_details(bead):
            line(row)


@click.command()
@click.argument("bead")
@json_option
@handles_errors
def history(bead: str) -> None:
    """Every event about a bead, oldest first, from `git log` of the beads branch."""
    s = settings()
    events = s.ledger().history(bead)
    if s.json:
        emit_json(events)
        return
    for event in events:
        data = event.get("data") or {}
        detail = ", ".join(f"{k}={safe(v)}" for k, v in sorted(data.items()))[:160]
        line(f"{event['ts']}  {event['commit'][:10]}  {safe(event['actor'])}  "
             f"{event['op']}  {detail}")


def register(group: click.Group) -> None:
    group.add_command(show)
    group.add_command(history)

"""`bd wisp list|burn|squash` and `bd promote`: ephemeral beads in the index overlay."""

from __future__ import annotations

import click

from beads import query
from beads.cli.context import handles_errors, json_option, settings
from beads.cli.output import bead_line, emit_json, emit_raw_list, line, safe


@click.group()
def wisp() -> None:
    """Wisps: beads that never enter history (create them with `bd create --ephemeral`)."""


@wisp.command("list")
@json_option
@handles_errors
def wisp_list() -> None:
    s = settings()
    rows = query.list_docs(s.db(), query.Filters(wisps_only=True), "created")
    if s.json:
        emit_raw_list(rows)
        return
    from beads import canonical

    if not rows:
        line("no wisps")
    for raw in rows:
        line(bead_line(canonical.loads(raw)))


@wisp.command("burn")
@click.argument("beads", nargs=-1, required=True)
@json_option
@handles_errors
def wisp_burn(beads: tuple[str, ...]) -> None:
    """Forget wisps: nothing about them was ever committed."""
    s = settings()
    from beads import wisps  # late: it loads pygit2, which a warm read never needs

    burned = wisps.burn(s.ledger(), beads)
    if s.json:
        emit_json({"burned": burned})
    else:
        line(f"burned {', '.join(burned)}")


@wisp.command("squash")
@click.argument("bead")
@click.option("--title", help="Title of the digest bead.")
@json_option
@handles_errors
def wisp_squash(bead: str, title: str | None) -> None:
    """Commit one digest bead for a wisp and its wisp children, then burn them."""
    s = settings()
    from beads import wisps

    digest = wisps.squash(s.ledger(), bead, title)
    if s.json:
        emit_json(digest)
    else:
        line(f"squashed into {digest['id']}: {safe(digest['title'])}")


@click.command()
@click.argument("bead")
@json_option
@handles_errors
def promote(bead: str) -> None:
    """Make a wisp durable: commit it (same id) and drop it from the overlay."""
    s = settings()
    from beads import wisps

    promoted = wisps.promote(s.ledger(), bead)
    if s.json:
        emit_json(promoted)
    else:
        line(f"promoted {promoted['id']}: {safe(promoted['title'])}")


def register(group: click.Group) -> None:
    group.add_command(wisp)
    group.add_command(promote)

"""`gt feed`: the town's events, one line each, read from the ledgers' history."""

from __future__ import annotations

import sys

import click
import orjson

from beads.cli.output import emit_json, safe
from gt.cli.common import ctx, handles_errors, json_option
from gt.reactor import feed as town_feed


@click.command()
@click.option("--since", default="1h", show_default=True, help="30m, 2h, 1d or a date.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing events as they land.")
@json_option
@handles_errors
def feed(since: str, follow: bool) -> None:
    """The town's events, one line each, from the ledgers' history."""
    town = ctx().town()
    rows = town_feed.history(town, town_feed.parse_since(since))

    def emit(row: dict) -> None:  # type: ignore[type-arg]
        if ctx().json:
            sys.stdout.write(orjson.dumps(row).decode() + "\n")
            sys.stdout.flush()
        else:
            click.echo(safe(town_feed.line(row)))

    if ctx().json and not follow:
        emit_json(rows)
        return
    for row in rows:
        emit(row)
    if follow:
        town_feed.follow(town, emit)


def register(group: click.Group) -> None:
    group.add_command(feed)

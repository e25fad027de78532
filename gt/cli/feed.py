"""`gt feed`: the town's events, one line each, read from the ledgers' history; with
`--problems`, only what needs a person (from `gt.townview`, as `gt status` shows it)."""

from __future__ import annotations

import sys
import time

import click
import orjson

from beads.cli.output import emit_json, safe
from gt.cli.common import ctx, handles_errors, json_option
from gt.reactor import feed as town_feed
from gt.town import Town
from gt.townview.problems import news
from gt.townview.snapshot import read
from gt.townview.watch import TownWatch


@click.command()
@click.option("--since", default="1h", show_default=True, help="30m, 2h, 1d or a date.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing events as they land.")
@click.option("--problems", is_flag=True,
              help="Only what needs a person: stalled or dead agents, rejections, "
                   "escalations, stranded convoys, machinery down.")
@json_option
@handles_errors
def feed(since: str, follow: bool, problems: bool) -> None:
    """The town's events, one line each, from the ledgers' history."""
    town = ctx().town()
    if problems:
        _problems(town, follow)
        return
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


def _problems(town: Town, follow: bool) -> None:
    """The town's problems now; with `follow`, each one that appears or goes away after,
    as the ledgers change."""

    def emit(item: dict[str, str], state: str) -> None:
        if ctx().json:
            sys.stdout.write(orjson.dumps({**item, "state": state}).decode() + "\n")
        else:
            mark = {"new": "x" if item["severity"] == "error" else "!", "gone": "ok"}[state]
            click.echo(safe(f"{time.strftime('%H:%M:%S')} {mark} {item['kind']} "
                            f"{item['subject']}: {item['message']}"))
        sys.stdout.flush()

    current = read(town)["problems"]
    if ctx().json and not follow:
        emit_json(current)
        return
    for item in current:
        emit(item, "new")
    if not follow:
        return
    with TownWatch(town) as watch:
        while watch.wait():
            latest = read(town)["problems"]
            appeared, gone = news(current, latest)
            for item in appeared:
                emit(item, "new")
            for item in gone:
                emit(item, "gone")
            current = latest


def register(group: click.Group) -> None:
    group.add_command(feed)

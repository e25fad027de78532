"""`gt costs`: token usage read from the agents' transcripts, per agent, bead and day."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.errors import GtError
from gt.work.costs import costs as read_costs

COLUMNS = (("input", "input"), ("output", "output"), ("cache_read", "cache read"),
           ("cache_write", "cache write"), ("total", "total"), ("responses", "responses"))


def _table(title: str, label: str, rows: list[dict[str, Any]], key: str) -> None:
    echo(title)
    echo(f"  {label:<32}" + "".join(f"{name:>13}" for _, name in COLUMNS))
    for row in rows:
        echo(f"  {row[key] or '(none)'!s:<32}"
             + "".join(f"{row[field]:>13,}" for field, _ in COLUMNS))
    echo()


@click.command()
@click.option("--agent", help="Only this agent (e.g. proj/polecats/nux).")
@click.option("--day", help="Only this UTC day (YYYY-MM-DD).")
@json_option
@handles_errors
def costs(agent: str | None, day: str | None) -> None:
    """Tokens the agents used, from their transcripts: per agent, per bead, per day."""
    if day is not None:
        try:
            day = date.fromisoformat(day).isoformat()
        except ValueError:
            raise GtError(f"--day wants a date as YYYY-MM-DD, not {day!r}") from None
    report = read_costs(ctx().town(), agent, day)

    def human() -> None:
        if not report["agents"]:
            echo("No token usage found in the agents' transcripts.")
        else:
            _table("By agent", "agent", report["agents"], "agent")
            _table("By bead", "bead", report["beads"], "bead")
            _table("By day (UTC)", "day", report["days"], "day")
            total = report["total"]
            echo(f"Total: {total['total']:,} tokens in {total['responses']:,} responses")
        missing = [t["path"] for t in report["transcripts"] if not t["found"]]
        if missing:
            echo(f"{len(missing)} transcript(s) recorded but not found: {', '.join(missing)}")

    show(report, human)


def register(group: click.Group) -> None:
    group.add_command(costs)

"""`gt sync`: every ledger of the town (the town's and each rig's) synced with its remote,
the town's main branch kept in step with other machines (`gt.sharing`), and the rigs they
added cloned here (`gt.setup.town`)."""

from __future__ import annotations

import click

from beads.cli.output import safe
from gt import sharing
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.setup.town import materialize_missing


@click.command("sync")
@click.option("--remote", default="origin", show_default=True)
@json_option
@handles_errors
def sync_cmd(remote: str) -> None:
    """Fetch, merge and push the ledger of the town and of every rig that has the remote; move
    the town's main branch by fast-forward and clone rigs other machines added."""
    synced = sharing.sync(ctx().town(), remote)
    results = synced.ledgers
    if synced.main is not None:
        for item in results:
            if item["ledger"] == "town":
                item["main"] = synced.main
                item["rigs_cloned"] = materialize_missing(synced.town)

    def human() -> None:
        for item in results:
            counts = (f"; {item['events_in']} in, {item['events_out']} out"
                      if "events_in" in item else "")
            error = f": {safe(item['error'])}" if item.get("error") else ""
            echo(f"{item['ledger']}: {item['action']}{counts}{error}")
            if "main" in item:
                echo(f"  main: {safe(item['main'])}")
            for name in item.get("rigs_cloned", []):
                echo(f"  rig {name}: added on another machine, cloned here")
            for line in item.get("unhooked", []):
                echo(f"  {safe(line)}")

    show(results, human)


def register(group: click.Group) -> None:
    group.add_command(sync_cmd)

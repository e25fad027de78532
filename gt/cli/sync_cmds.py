"""`gt sync`: every ledger of the town (the town's and each rig's) synced with its remote."""

from __future__ import annotations

import click

from beads.cli.output import safe
from beads.errors import BeadsError
from beads.sync import sync
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.git import git, track_remote
from gt.reactor.scan import ledgers
from gt.work import claims


@click.command("sync")
@click.option("--remote", default="origin", show_default=True)
@json_option
@handles_errors
def sync_cmd(remote: str) -> None:
    """Fetch, merge and push the ledger of the town and of every rig that has the remote."""
    town = ctx().town()
    results = []
    for ledger_ref in ledgers(town):
        has_remote = git("remote", "get-url", remote, cwd=ledger_ref.git_dir,
                         check=False).returncode == 0
        if not has_remote:
            results.append({"ledger": ledger_ref.name, "action": f"no remote {remote!r}"})
            continue
        track_remote(ledger_ref.git_dir, remote)
        try:
            ledger = town.open_ledger(ledger_ref.git_dir, "gt")
            report = sync(ledger, remote).to_dict()
            report["unhooked"] = claims.reconcile(town, ledger)
        except BeadsError as exc:
            report = {"action": "failed", "error": exc.message}
        results.append({"ledger": ledger_ref.name, **report})

    def human() -> None:
        for item in results:
            counts = (f"; {item['events_in']} in, {item['events_out']} out"
                      if "events_in" in item else "")
            error = f": {safe(item['error'])}" if item.get("error") else ""
            echo(f"{item['ledger']}: {item['action']}{counts}{error}")
            for line in item.get("unhooked", []):
                echo(f"  {safe(line)}")

    show(results, human)


def register(group: click.Group) -> None:
    group.add_command(sync_cmd)

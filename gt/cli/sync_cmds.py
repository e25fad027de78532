"""`gt sync`: every ledger of the town (the town's and each rig's) synced with its remote,
and the town's main branch and rigs kept in step with other machines (`gt.sharing`)."""

from __future__ import annotations

from pathlib import Path

import click

from beads.cli.output import safe
from beads.errors import BeadsError
from beads.sync import sync
from gt import sharing
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.git import git, track_remote
from gt.reactor.scan import ledgers
from gt.town import Town
from gt.work import claims


@click.command("sync")
@click.option("--remote", default="origin", show_default=True)
@json_option
@handles_errors
def sync_cmd(remote: str) -> None:
    """Fetch, merge and push the ledger of the town and of every rig that has the remote; move
    the town's main branch by fast-forward and clone rigs other machines added."""
    town = ctx().town()
    results = []
    main_state = None
    if _has_remote(town.root, remote):
        main_state = sharing.sync_main(town, remote)
        town = Town(town.root)
    for ledger_ref in ledgers(town):
        if not _has_remote(ledger_ref.git_dir, remote):
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
    if main_state is not None:
        for item in results:
            if item["ledger"] == "town":
                item["main"] = main_state
                item["rigs_cloned"] = sharing.materialize_missing(town)

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


def _has_remote(git_dir: Path, remote: str) -> bool:
    return git("remote", "get-url", remote, cwd=git_dir, check=False).returncode == 0


def register(group: click.Group) -> None:
    group.add_command(sync_cmd)

"""The `bd` command group: global options, and the registration of every command module."""

from __future__ import annotations

import sys

import click

from beads.cli import (
    admin,
    agentdocs,
    comments,
    creating,
    deps,
    doctor,
    epics,
    formulas,
    info,
    labels,
    listing,
    molecules,
    shortcuts,
    showing,
    updating,
    wisps,
)
from beads.cli.context import Settings
from beads.cli.error_handler import run_click
from beads.cli.globalflags import normalize


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-C", "--repo", metavar="PATH", envvar="BEADS_DIR",
              help="Repository holding the ledger (default: the one around the current dir).")
@click.option("--actor", metavar="NAME",
              help="Who is acting (default: $BD_ACTOR, git user.name, $USER).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (also accepted per command).")
@info.beads_flags
@click.version_option(package_name="gastown-py", prog_name="bd")
@click.pass_context
def cli(ctx: click.Context, repo: str | None, actor: str | None, as_json: bool) -> None:
    """bd: a git-native issue ledger on the `beads` branch of your repository."""
    ctx.obj = Settings(repo, actor, as_json)


for module in (admin, creating, showing, listing, updating, deps, labels, comments, wisps,
               info, agentdocs, epics, shortcuts, doctor, formulas, molecules):
    module.register(cli)


def main() -> None:
    """Run bd with Beads' global flags moved before the subcommand (beads.cli.globalflags);
    every error ends as one line (beads.cli.error_handler)."""
    run_click("bd", cli, normalize(sys.argv[1:], cli))

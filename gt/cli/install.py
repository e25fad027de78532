"""`gt install`: make a town, or join one shared through a git remote."""

from __future__ import annotations

from pathlib import Path

import click

from gt.cli.common import echo, handles_errors, json_option, show
from gt.setup import town as town_setup


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="Town name (default: the directory's name).")
@click.option("--no-tmux", is_flag=True, help="Run agents as plain processes, not in tmux.")
@click.option("--remote", metavar="URL",
              help="A git remote to share the town through (its origin; `gt sync` uses it). "
                   "If it already holds a town, this machine joins that town.")
@json_option
@handles_errors
def install(directory: Path, name: str | None, no_tmux: bool, remote: str | None) -> None:
    """Make a town in DIRECTORY (idempotent): a git repo with its own ledger (prefix hq)."""
    town = town_setup.install(directory, name, remote, no_tmux)
    rigs_here = town.rig_names()
    show({"town": str(town.root), "name": town.name, "rigs": rigs_here},
         lambda: echo(f"town {town.name} ready at {town.root}"
                      + (f" with rigs {', '.join(rigs_here)}" if rigs_here else "")))


def register(group: click.Group) -> None:
    group.add_command(install)

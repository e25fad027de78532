"""The `bd` command group: global options, and the registration of every command module."""

from __future__ import annotations

import sys

import click
import orjson

from beads.cli import (
    admin,
    comments,
    creating,
    deps,
    formulas,
    labels,
    listing,
    molecules,
    showing,
    updating,
    wisps,
)
from beads.cli.context import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-C", "--repo", metavar="PATH", envvar="BEADS_DIR",
              help="Repository holding the ledger (default: the one around the current dir).")
@click.option("--actor", metavar="NAME",
              help="Who is acting (default: $BD_ACTOR, git user.name, $USER).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (also accepted per command).")
@click.version_option(package_name="gastown-py", prog_name="bd")
@click.pass_context
def cli(ctx: click.Context, repo: str | None, actor: str | None, as_json: bool) -> None:
    """bd: a git-native issue ledger on the `beads` branch of your repository."""
    ctx.obj = Settings(repo, actor, as_json)


for module in (admin, creating, showing, listing, updating, deps, labels, comments, wisps,
               formulas, molecules):
    module.register(cli)


def main() -> None:
    """Run bd; with --json anywhere on the line, usage errors are JSON on stderr too."""
    try:
        code = cli.main(prog_name="bd", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("bd: aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        if "--json" in sys.argv[1:]:
            payload = {"error": exc.format_message(), "code": "usage"}
            sys.stderr.buffer.write(orjson.dumps(payload) + b"\n")
        else:
            exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)

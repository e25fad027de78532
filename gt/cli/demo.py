"""`gt demo`: the README's main job."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from gt.cli.common import ctx, handles_errors, json_option, show
from gt.demo.run import print_summary, run_demo


@click.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to build the demo (default: a new temporary directory).")
@click.option("--polecats", default=3, show_default=True, help="Workers at a time.")
@click.option("--no-tmux", is_flag=True, help="Run agents as plain processes.")
@click.option("--timeout", default=240.0, show_default=True, help="Give up after seconds.")
@json_option
@handles_errors
def demo(directory: Path | None, polecats: int, no_tmux: bool, timeout: float) -> None:
    """Build a town with a sample project and watch scripted polecats land a convoy."""
    root = directory or Path(tempfile.mkdtemp(prefix="gt-demo-")) / "demo"
    quiet = ctx().json
    result = run_demo(root.resolve(), polecats, no_tmux, timeout,
                      say=(lambda _text: None) if quiet else click.echo)
    show(result, lambda: print_summary(result, click.echo))


def register(group: click.Group) -> None:
    group.add_command(demo)

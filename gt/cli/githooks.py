"""`gt hooks install|uninstall|status` (git hook shims), and the hidden `gt _hook` they run."""

from __future__ import annotations

from pathlib import Path

import click

from gt import githooks
from gt.cli.common import ctx, echo, handles_errors, json_option, show


@click.command("_hook", hidden=True,
               context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("name")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def git_hook_command(name: str, args: tuple[str, ...]) -> None:
    """Run by the git hook shims: poke the reactor when refs moved. Always exits 0."""
    githooks.run_git_hook(name, args)


@click.group("hooks")
def githooks_group() -> None:
    """Git hook shims that tell gt when refs move (in the town's and every rig's repo)."""


_remote_option = click.option(
    "--remote", "remote", type=click.Path(file_okay=False, path_type=Path),
    help="A shared bare repository others push to (instead of the town's repositories): "
         "pre-receive validates pushes to its ledger, post-receive wakes reactors.")


def _targets(remote: Path | None) -> tuple[list[Path], tuple[str, ...]]:
    if remote is not None:
        return [remote.resolve()], githooks.REMOTE_GIT_HOOKS
    return githooks.town_git_dirs(ctx().town()), githooks.GIT_HOOKS


@githooks_group.command("install")
@_remote_option
@json_option
@handles_errors
def githooks_install(remote: Path | None) -> None:
    """Install the shims (idempotent); an existing hook is kept and still runs first."""
    dirs, names = _targets(remote)
    done = [{"git_dir": str(git_dir), "done": githooks.install(git_dir, names=names)}
            for git_dir in dirs]
    show(done, lambda: [echo(line) for item in done for line in item["done"]])


@githooks_group.command("uninstall")
@_remote_option
@json_option
@handles_errors
def githooks_uninstall(remote: Path | None) -> None:
    """Remove the shims and restore the hooks they replaced."""
    dirs, names = _targets(remote)
    done = [{"git_dir": str(git_dir), "done": githooks.uninstall(git_dir, names)}
            for git_dir in dirs]

    def human() -> None:
        lines = [line for item in done for line in item["done"]]
        for line in lines:
            echo(line)
        if not lines:
            echo("no gt hooks were installed")

    show(done, human)


@githooks_group.command("status")
@_remote_option
@json_option
@handles_errors
def githooks_status(remote: Path | None) -> None:
    """Each repo's hooks: installed, chained (an older hook runs first), foreign or absent."""
    dirs, names = _targets(remote)
    items = [{"git_dir": str(git_dir), "hooks_dir": str(githooks.git_hooks_dir(git_dir)),
              "hooks": githooks.status(git_dir, names)} for git_dir in dirs]

    def human() -> None:
        for item in items:
            states = "  ".join(f"{name}: {state}" for name, state in item["hooks"].items())
            echo(f"{item['git_dir']}  {states}")

    show(items, human)


def register(group: click.Group) -> None:
    for command in (git_hook_command, githooks_group):
        group.add_command(command)

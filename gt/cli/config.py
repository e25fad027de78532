"""`gt config`: town settings (runtimes, the default agent, per-role choices, this
machine's name)."""

from __future__ import annotations

import re

import click

from beads.cli.output import safe
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.errors import GtError
from gt.runtimes import presets
from gt.settings import ROLES, RuntimeSettings, set_key


@click.group()
def config() -> None:
    """Town settings: runtimes, the default agent, per-role choices."""


@config.group("agent")
def config_agent() -> None:
    """Runtimes (agent presets and custom commands)."""


@config_agent.command("list")
@json_option
@handles_errors
def agent_list() -> None:
    town = ctx().town()
    table = presets.runtimes(town.settings)
    default = town.settings.default_agent
    items = [{**r.to_dict(), "default": name == default} for name, r in sorted(table.items())]

    def human() -> None:
        for item in items:
            star = "*" if item["default"] else " "
            echo(f"{star} {item['name']:<10} {' '.join(item['command'])}  "
                 f"{safe(item['description'])}")

    show(items, human)


@config_agent.command("set")
@click.argument("name")
@click.argument("command")
@click.option("--prompt", default="arg", show_default=True,
              help="How the first prompt is passed: arg, none, or flag:<flag>.")
@handles_errors
def agent_set(name: str, command: str, prompt: str) -> None:
    """Define a custom runtime NAME that runs COMMAND."""
    town = ctx().town()
    if name in presets.PRESETS:
        raise GtError(f"{name!r} is a built-in preset; pick another name")
    town.settings.runtimes[name] = RuntimeSettings(command=command, prompt=prompt)
    town.save(f"gt config agent set {name}")
    echo(f"runtime {name}: {safe(command)}")


@config_agent.command("remove")
@click.argument("name")
@handles_errors
def agent_remove(name: str) -> None:
    town = ctx().town()
    if name not in town.settings.runtimes or town.settings.runtimes[name].command is None:
        raise GtError(f"no custom runtime named {name!r}")
    del town.settings.runtimes[name]
    town.save(f"gt config agent remove {name}")
    echo(f"runtime {name} removed")


@config.command("default-agent")
@click.argument("name")
@handles_errors
def default_agent(name: str) -> None:
    """The runtime agents use unless their role or --agent says otherwise."""
    town = ctx().town()
    presets.choose(town.settings, "any", name)
    town.settings.default_agent = name
    town.save(f"gt config default-agent {name}")
    echo(f"default agent: {name}")


@config.command("role-agent")
@click.argument("role", type=click.Choice(ROLES))
@click.argument("name")
@handles_errors
def role_agent(role: str, name: str) -> None:
    """The runtime for one role (e.g. `gt config role-agent mayor claude`)."""
    town = ctx().town()
    presets.choose(town.settings, role, name)
    town.settings.agents[role] = name
    town.save(f"gt config role-agent {role} {name}")
    echo(f"{role}: {name}")


@config.command("machine")
@click.argument("name", required=False)
@handles_errors
def config_machine(name: str | None) -> None:
    """This machine's name in the town (local to this clone); without NAME, show it."""
    town = ctx().town()
    if name:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", name):
            raise GtError(f"invalid machine name {name!r}")
        town.set_machine(name)
    echo(town.machine)


@config.command("set")
@click.argument("key")
@click.argument("value")
@handles_errors
def config_set(key: str, value: str) -> None:
    """Set a dotted town.toml KEY (e.g. runtimes.claude.is_sandbox true)."""
    town = ctx().town()
    parsed = set_key(town.settings, key, value, town.settings_file)
    town.save(f"gt config set {key}")
    echo(f"{key} = {safe(parsed)}")


def register(group: click.Group) -> None:
    group.add_command(config)

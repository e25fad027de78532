"""`gt install`, `gt rig`, `gt crew`, `gt agents` and `gt config`: the town and its members."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from beads.cli.output import safe
from beads.query import Filters
from gt.agents import Address
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.errors import GtError
from gt.rig import Rig, rigs
from gt.runtimes import presets
from gt.setup import rig as rig_setup
from gt.setup import town as town_setup
from gt.town import Town


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


@click.group()
def rig() -> None:
    """Rigs: the projects of the town."""


@rig.command("add")
@click.argument("name")
@click.argument("source")
@click.option("--prefix", help="Bead-id prefix of the rig's ledger (default: from the name).")
@click.option("--branch", help="Default branch (default: the source's HEAD).")
@json_option
@handles_errors
def rig_add(name: str, source: str, prefix: str | None, branch: str | None) -> None:
    """Add a rig NAME from SOURCE (a git URL or path)."""
    added = rig_setup.add(ctx().town(), name, source, prefix, branch)
    show({"rig": added.name, "prefix": added.prefix, "branch": added.branch,
          "path": str(added.path)},
         lambda: echo(f"rig {added.name} added: prefix {added.prefix}, branch {added.branch}"))


@rig.command("list")
@json_option
@handles_errors
def rig_list() -> None:
    items = [{"rig": r.name, "prefix": r.prefix, "branch": r.branch,
              "url": r.settings.get("url"), "gates": r.gates(), "here": r.present}
             for r in rigs(ctx().town(), everywhere=True)]

    def human() -> None:
        if not items:
            echo("no rigs (add one with `gt rig add <name> <git url>`)")
        for item in items:
            missing = "" if item["here"] else "  (not cloned here yet: run `gt sync`)"
            echo(f"{item['rig']}  prefix {item['prefix']}  branch {item['branch']}  "
                 f"{safe(item['url'])}{missing}")

    show(items, human)


@rig.command("remove")
@click.argument("name")
@handles_errors
def rig_remove(name: str) -> None:
    """Remove a rig: its clone and worktrees are deleted (its remote is untouched)."""
    town = ctx().town()
    target = Rig(town, name)
    live = [s for s in town.backend().names() if s.startswith(f"gt-{name}-")]
    if live:
        raise GtError(f"stop the rig's sessions first: {', '.join(live)}")
    rig_setup.remove(target)
    echo(f"rig {name} removed")


RIG_CHOICES = {"strategy": ("mr", "direct", "local"), "merge": ("merge", "rebase")}


@rig.command("config")
@click.argument("name")
@click.argument("key")
@click.argument("value")
@handles_errors
def rig_config(name: str, key: str, value: str) -> None:
    """Set a rig setting: gates.<name> '<command>', gate_timeouts.<name> <seconds>,
    strategy mr|direct|local, merge merge|rebase, batch_size <n>, push true|false."""
    town = ctx().town()
    target = Rig(town, name)
    section, _, field = key.partition(".")
    if section in ("gates", "gate_timeouts") and field:
        table = target.settings.setdefault(section, {})
        if value == "":
            table.pop(field, None)
        else:
            table[field] = float(value) if section == "gate_timeouts" else value
    elif key in RIG_CHOICES:
        if value not in RIG_CHOICES[key]:
            raise GtError(f"{key} must be one of {', '.join(RIG_CHOICES[key])}")
        target.settings[key] = value
    elif key == "batch_size" and value.isdigit() and int(value) >= 1:
        target.settings[key] = int(value)
    elif key == "push" and value in ("true", "false"):
        target.settings[key] = value == "true"
    elif key == "branch":
        target.settings[key] = value
    else:
        raise GtError(f"unknown rig setting {key}={value!r} (gates.<name>, "
                      "gate_timeouts.<name>, strategy, merge, batch_size, push, branch)")
    town.save(f"gt rig config {name} {key}")
    echo(f"{name}: {key} = {safe(value)}")


@click.group()
def crew() -> None:
    """Crew: long-lived named worktrees for people."""


@crew.command("add")
@click.argument("name")
@click.option("--rig", "rig_name", required=True)
@handles_errors
def crew_add(name: str, rig_name: str) -> None:
    path = Rig(ctx().town(), rig_name).crew_add(name)
    echo(f"crew {name} ready at {path}")


@crew.command("list")
@click.option("--rig", "rig_name", required=True)
@json_option
@handles_errors
def crew_list(rig_name: str) -> None:
    names = Rig(ctx().town(), rig_name).crew_names()
    show(names, lambda: [echo(n) for n in names])


@crew.command("remove")
@click.argument("name")
@click.option("--rig", "rig_name", required=True)
@handles_errors
def crew_remove(name: str, rig_name: str) -> None:
    Rig(ctx().town(), rig_name).crew_remove(name)
    echo(f"crew {name} removed")


def all_agents(town: Town) -> list[dict[str, Any]]:
    live = set(town.backend().names())
    ledgers = [town.ledger()] + [r.ledger() for r in rigs(town)]
    out = []
    for ledger in ledgers:
        for agent in ledger.list(Filters(types=["agent"]), sort="id", limit=None):
            try:
                address = Address.parse(agent["title"])
            except GtError:
                continue
            out.append({"agent": str(address), "id": agent["id"], "role": address.role,
                        "rig": address.rig, "home": agent.get("home"),
                        "state": agent.get("agent_state", "idle"),
                        "hook": agent.get("hook_bead"), "session": address.session,
                        "live": address.session in live})
    return out


@click.command()
@json_option
@handles_errors
def agents() -> None:
    """Every agent of the town: session state and hooked work."""
    items = all_agents(ctx().town())

    def human() -> None:
        for item in items:
            mark = "●" if item["live"] else "○"
            hook = f"  hook: {item['hook']}" if item["hook"] else ""
            echo(f"{mark} {item['agent']:<28} {item['state']:<15}{hook}")

    show(items, human)


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
    table = presets.runtimes(town.config)
    default = town.config.get("town", {}).get("default_agent", "scripted")
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
    town.config.setdefault("runtimes", {})[name] = {"command": command, "prompt": prompt}
    town.save(f"gt config agent set {name}")
    echo(f"runtime {name}: {safe(command)}")


@config_agent.command("remove")
@click.argument("name")
@handles_errors
def agent_remove(name: str) -> None:
    town = ctx().town()
    if name not in town.config.get("runtimes", {}) or "command" not in \
            town.config["runtimes"][name]:
        raise GtError(f"no custom runtime named {name!r}")
    del town.config["runtimes"][name]
    town.save(f"gt config agent remove {name}")
    echo(f"runtime {name} removed")


@config.command("default-agent")
@click.argument("name")
@handles_errors
def default_agent(name: str) -> None:
    """The runtime agents use unless their role or --agent says otherwise."""
    town = ctx().town()
    presets.choose(town.config, "any", name)
    town.config["town"]["default_agent"] = name
    town.save(f"gt config default-agent {name}")
    echo(f"default agent: {name}")


@config.command("role-agent")
@click.argument("role", type=click.Choice(["mayor", "deacon", "witness", "refinery",
                                           "polecat", "crew"]))
@click.argument("name")
@handles_errors
def role_agent(role: str, name: str) -> None:
    """The runtime for one role (e.g. `gt config role-agent mayor claude`)."""
    town = ctx().town()
    presets.choose(town.config, role, name)
    town.config.setdefault("agents", {})[role] = name
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
    parts = key.split(".")
    if not all(parts) or parts[0] not in ("town", "runtimes", "agents"):
        raise GtError(f"invalid key {key!r}: town.*, runtimes.*, agents.*")
    table = town.config
    for part in parts[:-1]:
        table = table.setdefault(part, {})
        if not isinstance(table, dict):
            raise GtError(f"{key!r} is not inside a table")
    parsed: Any = {"true": True, "false": False}.get(value.lower(), value)
    table[parts[-1]] = parsed
    town.save(f"gt config set {key}")
    echo(f"{key} = {safe(parsed)}")


def register(group: click.Group) -> None:
    for command in (install, rig, crew, agents, config):
        group.add_command(command)



"""The command index of docs/architecture.md names every `gt` and `bd` command, its
subcommands and the module that defines it."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from beads.cli.main import cli as bd_cli
from gt.cli.main import cli as gt_cli

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| `(?P<tool>gt|bd) (?P<name>[^`]+)`[^|]*\| (?P<subs>[^|]*)\| "
                 r"`(?P<module>[^`]+)`")


def index() -> dict[str, tuple[set[str], str]]:
    """`<tool> <command>` -> (its subcommands, its module), as the document's rows say."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("### Command index", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            subs = {s.strip() for s in match["subs"].split(",") if s.strip()}
            rows[f"{match['tool']} {match['name']}"] = (subs, match["module"])
    return rows


def subcommands(group: click.Group) -> dict[str, click.Command]:
    """A group's commands by name, through click's API (`gt` loads its modules lazily)."""
    context = click.Context(group)
    found = {name: group.get_command(context, name) for name in group.list_commands(context)}
    return {name: command for name, command in found.items() if command is not None}


def leaves(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(command, click.Group):
        return [leaf for name, sub in subcommands(command).items()
                for leaf in leaves(sub, (*path, name))]
    return [path]


def commands() -> dict[str, tuple[set[str], set[str]]]:
    """`<tool> <command>` -> (its subcommands, the modules defining them), from the CLIs."""
    found = {}
    for tool, group in (("gt", gt_cli), ("bd", bd_cli)):
        for name, command in subcommands(group).items():
            subs = {" ".join(leaf) for leaf in leaves(command)} - {""}
            callbacks = [command] if not isinstance(command, click.Group) else \
                [_at(command, leaf.split()) for leaf in subs]
            modules = {sys.modules[c.callback.__module__].__file__ or "" for c in callbacks
                       if c.callback is not None}
            found[f"{tool} {name}"] = (subs, {str(Path(m).relative_to(ROOT)) for m in modules})
    return found


def _at(group: click.Group, path: list[str]) -> click.Command:
    command: click.Command = group
    for name in path:
        assert isinstance(command, click.Group)
        command = subcommands(command)[name]
    return command


def differences(documented: dict[str, tuple[set[str], str]],
                actual: dict[str, tuple[set[str], set[str]]]) -> list[str]:
    """Where the index and the CLIs disagree: one line each."""
    lines = [f"{name}: not in the index" for name in sorted(set(actual) - set(documented))]
    lines += [f"{name}: in the index, but no such command" for name in
              sorted(set(documented) - set(actual))]
    for name in sorted(set(actual) & set(documented)):
        (subs, modules), (listed, module) = actual[name], documented[name]
        if subs != listed:
            lines.append(f"{name}: subcommands {sorted(subs)}, the index says {sorted(listed)}")
        if modules != {module}:
            lines.append(f"{name}: defined in {sorted(modules)}, the index says {module}")
    return lines


def test_every_command_is_in_the_index_with_its_subcommands_and_module() -> None:
    assert differences(index(), commands()) == []


def test_the_check_names_a_missing_command_a_wrong_subcommand_list_and_module() -> None:
    documented = {name: (subs, min(modules)) for name, (subs, modules) in commands().items()}
    del documented["gt sling"]
    documented["gt mail"] = ({"send"}, "gt/cli/mail.py")
    documented["bd ready"] = (set(), "beads/cli/ready.py")
    documented["gt fly"] = (set(), "gt/cli/fly.py")
    assert differences(documented, commands()) == [
        "gt sling: not in the index",
        "gt fly: in the index, but no such command",
        "bd ready: defined in ['beads/cli/listing.py'], the index says beads/cli/ready.py",
        "gt mail: subcommands ['archive', 'check', 'inbox', 'read', 'send'], the index says "
        "['send']"]


def test_gt_command_table_names_exactly_what_each_module_registers() -> None:
    """`gt` loads a command's module on first use, from `COMMANDS`: every module there must
    register exactly the commands the table gives it, and no other module any."""
    from gt.cli.main import COMMANDS

    registered: dict[str, str] = {}
    for module_name in sorted(set(COMMANDS.values())):
        scratch = click.Group()
        __import__(f"gt.cli.{module_name}", fromlist=["register"]).register(scratch)
        registered.update(dict.fromkeys(scratch.commands, module_name))
    assert registered == COMMANDS
    assert sorted((ROOT / "gt" / "cli").glob("*.py")) == sorted(
        p for p in (ROOT / "gt" / "cli").glob("*.py")
        if p.stem in set(COMMANDS.values()) or "def register(" not in p.read_text())

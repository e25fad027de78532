"""Global flags anywhere on the line, as Beads' own `bd` takes them.

Beads' clients put global flags on either side of the subcommand: beads-ui runs
`bd --sandbox list --json`, beads-mcp runs `bd list --limit 20 --actor mcp-agent --json`.
`normalize` moves each global flag found after the subcommand to the front, where the `bd`
group parses it. It walks the subcommand's own options, so a value that merely looks like a
flag (`bd update X --notes --sandbox`) stays that option's value; after `--` nothing moves.
"""

from __future__ import annotations

import click

# Global flags that take no value, and those that take one.
GLOBAL_FLAGS = frozenset({"--json", "--sandbox", "--no-auto-flush", "--no-auto-import"})
GLOBAL_OPTIONS = frozenset({"--actor", "-C", "--repo"})


def _value_options(command: click.Command) -> set[str]:
    """The option names of `command` that consume the next argument."""
    names: set[str] = set()
    for param in command.params:
        if isinstance(param, click.Option) and not param.is_flag and not param.count \
                and not _optional_value(param):
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def _optional_value(param: click.Option) -> bool:
    """An option whose value may be left out (`--tree` alone, or `--tree=false`)."""
    return bool(getattr(param, "_flag_needs_value", False))


def _global(token: str) -> bool:
    name = token.split("=", 1)[0]
    return token in GLOBAL_FLAGS or (name in GLOBAL_OPTIONS and "=" in token) \
        or token in GLOBAL_OPTIONS


def normalize(argv: list[str], group: click.Group) -> list[str]:
    """`argv` with every global flag (and its value) moved before the subcommand."""
    front: list[str] = []
    rest = list(argv)
    # The group's own options before the subcommand stay where they are.
    while rest and rest[0].startswith("-") and rest[0] != "--":
        token = rest.pop(0)
        front.append(token)
        if token in GLOBAL_OPTIONS and rest:
            front.append(rest.pop(0))
    command: click.Command = group
    path: list[str] = []
    while rest and isinstance(command, click.Group) and not rest[0].startswith("-"):
        sub = command.get_command(click.Context(command), rest[0])
        if sub is None:
            break
        path.append(rest.pop(0))
        command = sub
    takes_value = _value_options(command)
    kept: list[str] = []
    while rest:
        token = rest.pop(0)
        if token == "--":
            kept += [token, *rest]
            break
        if token in takes_value:
            kept.append(token)
            if rest:
                kept.append(rest.pop(0))
            continue
        if _global(token):
            front.append(token)
            if token in GLOBAL_OPTIONS and rest:
                front.append(rest.pop(0))
            continue
        kept.append(token)
    return front + path + kept

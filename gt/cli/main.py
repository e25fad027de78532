"""The `gt` command group: a table from each command to the module that defines it.

A module is imported only when one of its commands runs (or help lists them all), so `gt
hook` pays for `gt/cli/hook.py` and what it imports, not for the dashboard's web stack or
the demo. `tests/test_command_index.py` checks the table against what each module registers.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from beads.cli.error_handler import run_click
from gt.cli.common import GtContext, beat_for_agent

# One module per command group, named for it: gt/cli/<module>.py registers these commands.
COMMANDS: dict[str, str] = {
    "status": "status", "install": "install", "rig": "rig", "crew": "crew",
    "agents": "agents", "config": "config", "prime": "prime",
    "sling": "sling", "unsling": "sling", "release": "sling", "hook": "hook", "done": "done",
    "handoff": "handoff", "nudge": "nudge",
    "session": "sessions", "mayor": "sessions", "up": "sessions", "down": "sessions",
    "peek": "sessions",
    "mail": "mail", "convoy": "convoy", "refinery": "refinery", "mq": "mq",
    "reactor": "reactor", "feed": "feed", "hooks": "githooks", "_hook": "githooks",
    "sync": "sync", "demo": "demo", "agent-hook": "agent_hook", "polecat": "polecat",
    "escalate": "escalate", "deacon": "deacon", "queue": "queue", "estop": "estop",
    "thaw": "estop", "seance": "seance", "doctor": "doctor", "dashboard": "dashboard",
    "formula": "formula", "mol": "mol", "costs": "costs",
}


class CommandTable(click.Group):
    """A click group whose commands come from `COMMANDS`, each module loaded on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module: Any = importlib.import_module(f"gt.cli.{COMMANDS[cmd_name]}")
            module.register(self)
        return self.commands.get(cmd_name)


@click.group(cls=CommandTable, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--json", "as_json", is_flag=True, help="Print JSON (also accepted per command).")
@click.version_option(package_name="gastown-py", prog_name="gt")
@click.pass_context
def cli(context: click.Context, as_json: bool) -> None:
    """gt: a git-native orchestrator of coding-agent sessions."""
    context.obj = GtContext()
    context.obj.json = as_json
    beat_for_agent()


def main() -> None:
    """Run gt; every error ends as one line (beads.cli.error_handler)."""
    run_click("gt", cli)

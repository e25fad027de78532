"""What every `gt` command shares: the town, --json, and one-line errors."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from beads.cli.context import json_option_for
from beads.cli.error_handler import reports_known_errors
from beads.cli.output import emit_json
from gt.agents import Address
from gt.errors import GtError
from gt.supervision.heartbeat import beat
from gt.town import Town


class GtContext:
    def __init__(self) -> None:
        self.json = False
        self._town: Town | None = None

    def town(self) -> Town:
        if self._town is None:
            self._town = Town.find()
        return self._town


def ctx() -> GtContext:
    return click.get_current_context().find_object(GtContext)  # type: ignore[return-value]


json_option = json_option_for(GtContext)


# A BeadsError (GtError is one) raised by a command: one line and status 1; everything
# else is reported by the error handler around the whole command (gt.cli.main.main).
handles_errors = reports_known_errors("gt", lambda: ctx().json)


def show(value: Any, human: Callable[[], None]) -> None:
    """JSON with --json, else the human rendering."""
    if ctx().json:
        emit_json(value)
    else:
        human()


def echo(text: str = "") -> None:
    click.echo(text)


def beat_for_agent() -> None:
    """An agent running any `gt` command (its runtime's hooks included) refreshes its
    heartbeat: a file time under the town's `.git/gt/`, never a ledger commit."""
    agent, town = os.environ.get("GT_AGENT"), os.environ.get("GT_TOWN")
    if not agent or not town:
        return
    try:
        session = Address.parse(agent).session
    except GtError:
        return
    beat(Path(town) / ".git" / "gt", session)

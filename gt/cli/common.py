"""What every `gt` command shares: the town, --json, and one-line errors."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
import orjson

from beads.cli.context import json_option_for
from beads.cli.output import emit_json, safe
from beads.errors import BeadsError
from gt.town import Town

F = TypeVar("F", bound=Callable[..., Any])


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


def handles_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BeadsError as error:
            if ctx().json:
                sys.stderr.buffer.write(orjson.dumps({"error": error.message,
                                                      "code": error.code}) + b"\n")
            else:
                click.echo(f"gt: {safe(error.message)}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def show(value: Any, human: Callable[[], None]) -> None:
    """JSON with --json, else the human rendering."""
    if ctx().json:
        emit_json(value)
    else:
        human()


def echo(text: str = "") -> None:
    click.echo(text)

"""What every `bd` command shares: where the ledger is, who acts, how to print, errors.

Read commands use `reader()`, which never imports pygit2 while the cache is current; write
commands use `ledger()`.
"""

from __future__ import annotations

import functools
import sqlite3
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from beads import gitdir
from beads.adopt import adopt_and_say
from beads.cli.error_handler import reports_known_errors
from beads.reader import Reader

if TYPE_CHECKING:
    from beads.ledger import Ledger

F = TypeVar("F", bound=Callable[..., Any])


class Settings:
    def __init__(self, repo: str | None, actor: str | None, as_json: bool) -> None:
        self.repo = repo
        self.actor = actor
        self.json = as_json
        self._ledger: Ledger | None = None
        self._reader: Reader | None = None

    def route(self, bead_id: str) -> None:
        """Serve this command from the ledger that the id's prefix routes to, if any."""
        if self.repo is not None or self._ledger is not None or self._reader is not None:
            return
        prefix = bead_id.split("-", 1)[0]
        if "-" not in bead_id or not prefix:
            return
        target = gitdir.find_routes().get(prefix)
        if target is not None:
            self.repo = str(target)

    def dirs(self) -> gitdir.GitDirs:
        """The ledger's git dirs; a clone with only a remote's ledger adopts it here."""
        return adopt_and_say(gitdir.find(self.repo))

    def ledger(self) -> Ledger:
        if self._ledger is None:
            from beads.ledger import Ledger

            self.dirs()
            self._ledger = Ledger(self.repo, self.actor)
        return self._ledger

    def reader(self) -> Reader:
        if self._ledger is not None:
            return self._ledger.reader
        if self._reader is None:
            self._reader = Reader(self.dirs())
        return self._reader

    def db(self) -> Any:
        reader = self.reader()
        db = reader.current()
        for problem in reader.problems:
            click.echo(f"bd: warning: {problem}", err=True)
        return db


def settings() -> Settings:
    return click.get_current_context().find_object(Settings)  # type: ignore[return-value]


def json_option_for(holder: type) -> Callable[[F], F]:
    """A `--json` option for commands whose context object is a `holder` with a `json`
    attribute: machine-readable output, and JSON errors on stderr."""

    def decorate(func: F) -> F:
        def turn_on(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
            if value:
                ctx.find_object(holder).json = True  # type: ignore[union-attr]

        return click.option("--json", "json_flag", is_flag=True, expose_value=False,
                            callback=turn_on, is_eager=True,
                            help="Print JSON (for agents and scripts).")(func)

    return decorate


json_option = json_option_for(Settings)


# Parameters that name the bead a command is about; its prefix may route to another ledger.
_ID_PARAMS = ("bead", "beads", "ids", "args")


def handles_errors(func: F) -> F:
    """Route by the command's first bead id, rebuild a damaged cache once, and report a
    BeadsError as one line (beads.cli.error_handler); nothing else is caught."""

    @reports_known_errors("bd", lambda: settings().json)
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for name in _ID_PARAMS:
            value = kwargs.get(name)
            first = value[0] if isinstance(value, tuple) and value else value
            if isinstance(first, str):
                settings().route(first)
                break
        try:
            return func(*args, **kwargs)
        except sqlite3.DatabaseError as exc:
            # A damaged cache is only a copy: rebuild it and run the command once more.
            # Nothing was written yet: writes never fail on the cache.
            click.echo(f"bd: warning: the cache was damaged ({exc}); rebuilding it", err=True)
            settings().reader().rebuild()
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def read_text_arg(value: str | None) -> str | None:
    """`-` means standard input; anything else is the text itself."""
    return sys.stdin.read() if value == "-" else value

"""The one error path of the `bd` and `gt` command lines: every failure is one line on stderr.

- A known error (a `BeadsError`; `GtError` is one) prints `<prog>: <message>`; status 1.
- A usage error found by click (unknown option or command, missing argument, bad value)
  prints `<prog>: <message> (see '<command> --help')`; status 2, as click gives it.
- Anything else is a bug: its traceback, the version, argv and Python go to a crash log,
  and one line names the log; status 3.
- Ctrl-C prints `<prog>: interrupted`; status 130. A reader that closed stdout early
  (`bd list | head -1`) ends the command quietly with status 1, as click does.

With `--json` on the command line the line is a JSON object `{"error": ..., "code": ...}`
(a crash adds `"log"`). `code` is stable: a known error's own `code` (beads/errors.py,
gt/errors.py), `usage` for click's usage errors, `interrupted`, `aborted` or `crash`.

Crash logs go to `$XDG_CACHE_HOME/gastown-py/` (default `~/.cache/gastown-py/`), one file
per crash: never inside the repository or town the command ran in, where a log would show
up as an untracked file or be synced, and one file each so concurrent agents' crashes never
overwrite each other. If that directory cannot be written, the log goes to the temp dir.

This module imports neither click nor pygit2, and what only a crash needs is imported when
one happens: the `bd` fast path runs under it, and an exception can only be click's if click
was already imported.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from beads.errors import BeadsError

if TYPE_CHECKING:
    import click

F = TypeVar("F", bound=Callable[..., Any])

EXIT_ERROR = 1
EXIT_CRASH = 3
EXIT_INTERRUPTED = 130
CRASH_DIR_NAME = "gastown-py"


def wants_json(argv: Sequence[str]) -> bool:
    """Whether `--json` is among the options of a command line (not after `--`)."""
    words = list(argv)
    if "--" in words:
        words = words[:words.index("--")]
    return "--json" in words


def _printable(message: str, as_json: bool) -> str:
    """The message made safe to print: control characters shown (JSON escapes its own) and
    undecodable bytes shown as `\\xNN`."""
    try:
        from beads.cli.output import encodable, safe
    except Exception:  # printing itself is broken (a crash to report): plain ASCII will do
        return ascii(message)[1:-1]
    return encodable(message) if as_json else safe(message)


def report(prog: str, message: str, code: str, as_json: bool, **extra: str) -> None:
    """Write one error line to stderr: `<prog>: <message>`, or a JSON object (in which DEL,
    the C1 controls and U+2028/U+2029, which JSON leaves raw, are escaped too)."""
    import json
    import re

    text = _printable(message, as_json)
    with contextlib.suppress(OSError):
        if as_json:
            payload = {"error": text, "code": code, **extra}
            line = re.sub("[\x7f-\x9f\u2028\u2029]", lambda m: f"\\u{ord(m.group()):04x}",
                          json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
            sys.stderr.buffer.write(line.encode("utf-8", "backslashreplace") + b"\n")
        else:
            sys.stderr.write(f"{prog}: {text}\n")
        sys.stderr.flush()


def fail(prog: str, error: BeadsError, as_json: bool) -> NoReturn:
    """Report a known error and exit with status 1."""
    report(prog, error.message, error.code, as_json)
    sys.exit(EXIT_ERROR)


def reports_known_errors(prog: str, json_mode: Callable[[], bool]) -> Callable[[F], F]:
    """A decorator for click commands: a BeadsError becomes one line and status 1 right in
    the command, so that click's test runner sees what a real process prints."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except BeadsError as error:
                fail(prog, error, json_mode())

        return wrapper  # type: ignore[return-value]

    return decorate


def _is_help_request(error: BaseException) -> bool:
    """A group run without a command (`bd`, `gt rig`): click shows its help, not an error."""
    click = sys.modules.get("click")
    kind = getattr(click.exceptions, "NoArgsIsHelpError", None) if click else None
    return kind is not None and isinstance(error, kind)


def _click_error(error: BaseException) -> tuple[str, str, int] | None:
    """(message, code, exit status) for one of click's exceptions, else None."""
    click = sys.modules.get("click")
    if click is None:
        return None
    if isinstance(error, click.exceptions.UsageError):
        message = " ".join(error.format_message().splitlines())
        if error.ctx is not None:
            message = f"{message.rstrip('.')} (see '{error.ctx.command_path} --help')"
        return message, "usage", error.exit_code
    if isinstance(error, click.ClickException):
        return " ".join(error.format_message().splitlines()), "invalid_input", error.exit_code
    if isinstance(error, click.exceptions.Abort):
        if isinstance(error.__cause__, KeyboardInterrupt):
            return "interrupted", "interrupted", EXIT_INTERRUPTED
        return "aborted", "aborted", EXIT_ERROR
    return None


def crash_dirs() -> list[Path]:
    """Where crash logs go, best first: the user's cache dir, then the temp dir."""
    import tempfile

    cache = os.environ.get("XDG_CACHE_HOME", "")
    fallback = Path(tempfile.gettempdir())
    if os.path.isabs(cache):
        return [Path(cache) / CRASH_DIR_NAME, fallback]
    try:
        return [Path.home() / ".cache" / CRASH_DIR_NAME, fallback]
    except RuntimeError:  # no home directory to be found
        return [fallback]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gastown-py")
    except PackageNotFoundError:
        return "unknown (not installed)"


def write_crash_log(prog: str, error: BaseException) -> Path | None:
    """Write the crash log for `error`; its path, or None if no directory would take it."""
    import platform
    import traceback
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    text = "\n".join([
        f"{prog} crashed: an unexpected error (please report it with this log)",
        f"time: {now.isoformat(timespec='seconds')}",
        f"version: gastown-py {_version()}",
        f"argv: {sys.argv!r}",
        f"python: {sys.version.split()[0]} ({sys.executable}) on {platform.platform()}",
        f"cwd: {os.getcwd() if os.path.exists('.') else '(removed)'}",
        "",
        "".join(traceback.format_exception(error)),
    ])
    name = f"crash-{now.strftime('%Y%m%dT%H%M%SZ')}-{prog}-{os.getpid()}.log"
    for directory in crash_dirs():
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = directory / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as log:
                log.write(text)
            return path
        except OSError:
            continue
    return None


def _crash(prog: str, error: BaseException, as_json: bool) -> NoReturn:
    summary = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if len(summary) > 200:
        summary = summary[:200] + "..."
    try:
        path = write_crash_log(prog, error)
    except Exception:  # a log that cannot even be formatted must not hide the first error
        path = None
    if path is None:
        report(prog, f"unexpected error ({summary}); no crash log could be written",
               "crash", as_json)
    else:
        report(prog, f"unexpected error ({summary}); crash log: {path}", "crash", as_json,
               log=str(path))
    sys.exit(EXIT_CRASH)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


@contextlib.contextmanager
def error_handler(prog: str) -> Iterator[None]:
    """Run the body of a command line: whatever it raises ends as one line on stderr and
    the exit status of its kind (see the module docstring); SystemExit passes through."""
    as_json = wants_json(sys.argv[1:])
    try:
        try:
            yield
        finally:
            sys.stdout.flush()
    except SystemExit:
        raise
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        report(prog, "interrupted", "interrupted", as_json)
        sys.exit(EXIT_INTERRUPTED)
    except BeadsError as error:
        fail(prog, error, as_json)
    except BaseException as error:
        if _is_help_request(error):
            error.show()  # type: ignore[attr-defined]
            sys.exit(error.exit_code)  # type: ignore[attr-defined]
        known = _click_error(error)
        if known is None:
            _crash(prog, error, as_json)
        message, code, status = known
        report(prog, message, code, as_json)
        sys.exit(status)


def run_click(prog: str, command: click.Command, args: list[str] | None = None) -> NoReturn:
    """Run a click command (on `args`, else the command line) under the error handler and exit
    with its status: what `ctx.exit(n)` gave, else 0 (what a command returns is not a status)."""
    with error_handler(prog):
        result = command.main(args=args, prog_name=prog, standalone_mode=False)
    sys.exit(result if isinstance(result, int) and not isinstance(result, bool) else 0)

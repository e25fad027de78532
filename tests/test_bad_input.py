"""Bad input to every command of `bd` and `gt`, as real processes in a real town.

Every command of both click groups is found by walking them, so a new command is covered
the day it is registered: an unknown option, a missing (or surplus) argument, a bad option
value, and arguments that are not UTF-8 and hold an escape sequence. Explicit cases add
what a walk cannot guess: missing beads, agents and rigs, control characters, `--json`
before and after the command. Each must end with status 1 or 2 (0 where the bad bytes are
handled as data), exactly one line on stderr, no traceback, nothing that drives a terminal,
and with `--json` one JSON object with `error` and `code`. Then what is not bad input: an
unexpected exception (exit 3 and a crash log), Ctrl-C (130) and a closed stdout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import click
import pytest

from beads.cli.main import cli as bd_cli
from gt.cli.main import cli as gt_cli

PROGRAMS = {"bd": [sys.executable, "-m", "beads"], "gt": [sys.executable, "-m", "gt"]}
NOT_UTF8 = b"\xff\xfe bad \x1b[2J\x07"  # undecodable bytes, an escape sequence, a bell
UNSAFE = (b"\x1b", b"\x07", b"\x9b")

# The module shares a town and runs each kind of bad input for every command at once: its
# tests stay on one worker in a parallel run.
pytestmark = pytest.mark.xdist_group("bad_input")


def leaf_commands(group: click.Group,
                  path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command under `group`, by its words; hidden ones (`gt _hook`, which git runs
    and which must never fail a git command) are not a user's to mistype."""
    context = click.Context(group)
    for name in sorted(group.list_commands(context)):
        command = group.get_command(context, name)
        assert command is not None, name
        if command.hidden:
            continue
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = [(prog, path, command) for prog, group in (("bd", bd_cli), ("gt", gt_cli))
            for path, command in leaf_commands(group)]


def command_id(prog: str, path: tuple[str, ...]) -> str:
    return " ".join((prog, *path))


def each_command(select: Any = None) -> Any:
    """Parametrize a test over (prog, path, command) for every command `select` accepts."""
    cases = [pytest.param(prog, path, command, id=command_id(prog, path))
             for prog, path, command in COMMANDS if select is None or select(command)]
    return pytest.mark.parametrize(("prog", "path", "command"), cases)


def arguments(command: click.Command) -> list[click.Argument]:
    return [p for p in command.params if isinstance(p, click.Argument)]


def has_own_json(command: click.Command) -> bool:
    return any("--json" in p.opts for p in command.params)


# ----------------------------------------------------------------------------- running


def clean_env(base: Path) -> dict[str, str]:
    """The environment of every process here: a private HOME and cache, a fixed identity."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("BD_ACTOR", "BEADS_DIR", "GIT_DIR", "GIT_WORK_TREE", "XDG_CACHE_HOME")}
    env.update(HOME=str(base / "home"), XDG_CACHE_HOME=str(base / "cache"),
               GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="Test Person",
               GIT_AUTHOR_EMAIL="test@example.com", GIT_COMMITTER_NAME="Test Person",
               GIT_COMMITTER_EMAIL="test@example.com", BD_ACTOR="tester")
    return env


def run(prog: str, args: Sequence[str | bytes], cwd: Path, env: dict[str, str],
        stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    argv = [os.fsencode(word) for word in (*PROGRAMS[prog], *args)]
    return subprocess.run(argv, cwd=cwd, env=env, input=stdin, capture_output=True,
                          timeout=120)


def one_line(result: subprocess.CompletedProcess[bytes], prog: str, statuses: Sequence[int],
             as_json: bool) -> Any:
    """Check an error's shape; the parsed JSON object, or the line without `<prog>: `."""
    stderr = result.stderr.decode("utf-8")  # a clean error is valid UTF-8, too
    shown = f"{result.args[2:]}: status {result.returncode}, stderr {stderr!r}"
    assert result.returncode in statuses, shown
    assert "Traceback" not in stderr, shown
    assert not any(mark in result.stderr + result.stdout for mark in UNSAFE), shown
    lines = stderr.splitlines()
    assert len(lines) == 1, shown
    if as_json:
        error = json.loads(lines[0])
        assert isinstance(error, dict) and error["error"] and error["code"], shown
        assert set(error) <= {"error", "code", "log"}, shown
        return error
    assert lines[0].startswith(f"{prog}: "), shown
    return lines[0].removeprefix(f"{prog}: ")


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A town with the rig `proj` (prefix pj) holding one bead; shared by the module, since
    no bad input may change it. Returns the town, its environment and the bead's id."""
    base = tmp_path_factory.mktemp("bad-input")
    env = clean_env(base)
    source = base / "proj"
    source.mkdir()
    (source / "app.py").write_text("VALUE = 1\n")
    for step in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *step], cwd=source, env=env, check=True, capture_output=True)
    town = base / "town"
    for prog, args, cwd in (("gt", ["install", str(town), "--no-tmux"], base),
                            ("gt", ["rig", "add", "proj", str(source), "--prefix", "pj"], town)):
        result = run(prog, args, cwd, env)
        assert result.returncode == 0, result.stderr
    created = run("bd", ["create", "Work", "--json"], town / "proj", env)
    assert created.returncode == 0, created.stderr
    return {"town": town, "env": env, "bead": json.loads(created.stdout)["id"], "outcomes": {}}


def run_in_town(place: dict[str, Any], prog: str,
                args: Sequence[str | bytes]) -> subprocess.CompletedProcess[bytes]:
    return run(prog, args, place["town"], place["env"])


# ----------------------------------------------------------------------------- every command
# Each kind of bad input is run for every command at once, in a pool of processes (each is
# a second of CPU at most, and there are some three hundred), then checked one by one.


def _has_required_parameter(command: click.Command) -> bool:
    return any(param.required for param in command.params)


def _can_take_a_surplus_argument(command: click.Command) -> bool:
    return not _has_required_parameter(command) and all(arg.nargs == 1
                                                        for arg in arguments(command))


def _bad_value(param: click.Parameter) -> str | None:
    """A value this option's type refuses, if it has a type that refuses any."""
    if isinstance(param.type, click.Choice):
        return "no-such-choice"
    if isinstance(param.type, click.types.IntParamType | click.types.FloatParamType):
        return "many"
    return None


def _typed_option(command: click.Command) -> click.Option | None:
    return next((p for p in command.params
                 if isinstance(p, click.Option) and _bad_value(p) is not None), None)


def unknown_option(path: tuple[str, ...], command: click.Command) -> list[str | bytes]:
    return [*path, "--no-such-option"]


def missing_or_surplus_argument(path: tuple[str, ...],
                                command: click.Command) -> list[str | bytes]:
    """`--json` first (the group's option); nothing where something is required, else one
    argument too many."""
    if _has_required_parameter(command):
        return ["--json", *path]
    return ["--json", *path, *["surplus"] * (len(arguments(command)) + 1)]


def with_json(command: click.Command, words: list[str | bytes]) -> list[str | bytes]:
    """`--json` after the command's words where it has its own option, else first."""
    return [*words, "--json"] if has_own_json(command) else ["--json", *words]


def bad_option_value(path: tuple[str, ...], command: click.Command) -> list[str | bytes]:
    option = _typed_option(command)
    assert option is not None
    required = ["x"] * sum(arg.required for arg in arguments(command))
    return with_json(command, [*path, option.opts[-1], str(_bad_value(option)), *required])


def undecodable_arguments(path: tuple[str, ...], command: click.Command) -> list[str | bytes]:
    """Every argument, and every required option, is bytes that are not UTF-8 with an
    escape sequence (twice for an argument that takes several)."""
    words: list[str | bytes] = [*path]
    for param in command.params:
        if isinstance(param, click.Option) and param.required:
            words += [param.opts[-1], NOT_UTF8]
    for arg in arguments(command):
        words += [NOT_UTF8] * (2 if arg.nargs == -1 else 1)
    return with_json(command, words)


KINDS: dict[str, tuple[Any, Any]] = {
    "unknown_option": (unknown_option, lambda c: True),
    "missing_or_surplus_argument": (
        missing_or_surplus_argument,
        lambda c: _has_required_parameter(c) or _can_take_a_surplus_argument(c)),
    "bad_option_value": (bad_option_value, lambda c: _typed_option(c) is not None),
    "undecodable_arguments": (undecodable_arguments, lambda c: bool(arguments(c))),
}


def outcome(place: dict[str, Any], kind: str, prog: str,
            path: tuple[str, ...]) -> subprocess.CompletedProcess[bytes]:
    """The result of `kind` of bad input to one command, run with all the others of the
    kind the first time one is asked for."""
    if kind not in place["outcomes"]:
        make_args, select = KINDS[kind]
        jobs = {(p, words): make_args(words, c) for p, words, c in COMMANDS if select(c)}
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            futures = {key: pool.submit(run_in_town, place, key[0], args)
                       for key, args in jobs.items()}
        place["outcomes"][kind] = {key: future.result() for key, future in futures.items()}
    return place["outcomes"][kind][(prog, path)]


@each_command(KINDS["unknown_option"][1])
def test_unknown_option(place: dict[str, Any], prog: str, path: tuple[str, ...],
                        command: click.Command) -> None:
    line = one_line(outcome(place, "unknown_option", prog, path), prog, [2], as_json=False)
    assert "--no-such-option" in line and f"{command_id(prog, path)} --help" in line


@each_command(KINDS["missing_or_surplus_argument"][1])
def test_missing_or_surplus_argument(place: dict[str, Any], prog: str, path: tuple[str, ...],
                                     command: click.Command) -> None:
    result = outcome(place, "missing_or_surplus_argument", prog, path)
    error = one_line(result, prog, [2], as_json=True)
    fragment = "Missing " if _has_required_parameter(command) else "unexpected extra argument"
    assert error["code"] == "usage" and fragment in error["error"]


@each_command(KINDS["bad_option_value"][1])
def test_bad_option_value(place: dict[str, Any], prog: str, path: tuple[str, ...],
                          command: click.Command) -> None:
    option = _typed_option(command)
    assert option is not None
    result = outcome(place, "bad_option_value", prog, path)
    error = one_line(result, prog, [2], as_json=True)
    assert error["code"] == "usage" and option.opts[-1] in error["error"]


@each_command(KINDS["undecodable_arguments"][1])
def test_undecodable_arguments(place: dict[str, Any], prog: str, path: tuple[str, ...],
                               command: click.Command) -> None:
    """A clean error, or (exit 0) the bytes handled as data: never a traceback, never a raw
    escape."""
    result = outcome(place, "undecodable_arguments", prog, path)
    if result.returncode == 0:
        assert b"Traceback" not in result.stderr
        assert not any(mark in result.stdout + result.stderr for mark in UNSAFE)
        json.loads(result.stdout)
    else:
        one_line(result, prog, [1, 2], as_json=True)


# ----------------------------------------------------------------------------- explicit cases

# (prog, args, exit status, code); "{bead}" is the rig's bead.
EXPLICIT: list[tuple[str, tuple[str | bytes, ...], int, str]] = [
    ("bd", ("show", "hq-zzzz"), 1, "not_found"),
    ("bd", ("update", "hq-zzzz", "--title", "x"), 1, "not_found"),
    ("bd", ("dep", "add", "hq-zzzz", "hq-yyyy"), 1, "not_found"),
    ("bd", ("close", "hq-\x1b[2J"), 1, "invalid_input"),
    ("bd", ("create", "t", "--id", "a\x07b"), 1, "invalid_input"),
    ("bd", ("create", NOT_UTF8), 1, "invalid_input"),
    ("bd", ("comment", "add", "hq-zzzz", NOT_UTF8), 1, "invalid_input"),
    ("bd", ("no-such-command",), 2, "usage"),
    ("bd", ("list", "--sort", "sideways"), 2, "usage"),
    ("bd", ("list", "--no-such-option"), 2, "usage"),
    ("bd", ("dep", "add", "hq-zzzz"), 2, "usage"),
    ("gt", ("no-such-command",), 2, "usage"),
    ("gt", ("rig", "no-such-command"), 2, "usage"),
    ("gt", ("rig", "list", "--no-such-option"), 2, "usage"),
    ("gt", ("config", "role-agent", "emperor", "x"), 2, "usage"),
    ("gt", ("sling", "pj-zzzz", "proj"), 1, "not_found"),
    ("gt", ("sling", "{bead}", "ghost/polecats/nobody"), 1, "gt_error"),
    ("gt", ("sling", "{bead}", "proj", "--args", NOT_UTF8), 1, "invalid_input"),
    ("gt", ("nudge", "nobody", "hello"), 1, "gt_error"),
    ("gt", ("nudge", "mayor", NOT_UTF8), 1, "invalid_input"),
    ("gt", ("nudge", "mayor\nx", "hello"), 1, "gt_error"),
    ("gt", ("peek", "proj/polecats/ghost\x1b[2J"), 1, "gt_error"),
    ("gt", ("rig", "remove", "no-such-rig"), 1, "gt_error"),
    ("gt", ("rig", "add", "bad\x1bname", "."), 1, "gt_error"),
    ("gt", ("refinery", "status", "no-such-rig"), 1, "gt_error"),
    ("gt", ("mq", "list", "no-such-rig"), 1, "gt_error"),
    ("gt", ("mq", "show", "proj", "pj-zzzz"), 1, "not_found"),
    ("gt", ("mail", "send", "nobody", "-s", "hi", "-m", "body"), 1, "gt_error"),
    ("gt", ("mail", "read", "hq-zzzz"), 1, "not_found"),
    ("gt", ("convoy", "status", "hq-zzzz"), 1, "not_found"),
    ("gt", ("hook", "ghost/polecats/nobody"), 1, "gt_error"),
]


def _explicit_id(prog: str, args: tuple[str | bytes, ...]) -> str:
    return " ".join([prog, *(a if isinstance(a, str) else "<not utf-8>" for a in args)])


@pytest.mark.parametrize(("prog", "args", "status", "code"),
                         [pytest.param(*case, id=_explicit_id(*case[:2])) for case in EXPLICIT])
def test_explicit_bad_input(place: dict[str, Any], prog: str, args: tuple[str | bytes, ...],
                            status: int, code: str) -> None:
    """Each case as people type it, then with `--json` (after it where the command has its
    own option; the tests above have the group's before every command)."""
    words = [place["bead"] if a == "{bead}" else a for a in args]
    one_line(run_in_town(place, prog, words), prog, [status], as_json=False)
    command = _command_named(prog, words)
    as_json = with_json(command, words) if command is not None else ["--json", *words]
    error = one_line(run_in_town(place, prog, as_json), prog, [status], as_json=True)
    assert error["code"] == code


def _command_named(prog: str, words: Sequence[str | bytes]) -> click.Command | None:
    """The command that `words` name (None for a name that is not one)."""
    for known, path, command in COMMANDS:
        if known == prog and tuple(words[:len(path)]) == path:
            return command
    return None


def test_undecodable_search_is_data(place: dict[str, Any]) -> None:
    """`bd search` with bytes that are not UTF-8 matches nothing, and says so."""
    found = run_in_town(place, "bd", ["search", NOT_UTF8, "--json"])
    assert found.returncode == 0 and json.loads(found.stdout) == [], found.stderr
    human = run_in_town(place, "bd", ["search", NOT_UTF8])
    assert human.returncode == 0 and b"nothing matches" in human.stdout
    assert not any(mark in human.stdout for mark in UNSAFE) and b"\\xff" in human.stdout


@pytest.mark.parametrize(("prog", "args"), [("bd", []), ("gt", []), ("gt", ["rig"])])
def test_a_group_without_a_command_shows_its_help(place: dict[str, Any], prog: str,
                                                 args: list[str]) -> None:
    result = run_in_town(place, prog, args)
    assert result.returncode in (0, 2)  # as click gives it: 2 from click 8.2 on
    shown = (result.stdout + result.stderr).decode()
    assert shown.startswith("Usage: ") and "Commands:" in shown


@pytest.mark.parametrize(("prog", "args", "code"),
                         [("bd", ["list"], "not_initialized"), ("gt", ["agents"], "gt_error")])
def test_outside_a_repository_or_town(tmp_path: Path, prog: str, args: list[str],
                                      code: str) -> None:
    env = clean_env(tmp_path)
    plain = tmp_path / "plain"
    plain.mkdir()
    one_line(run(prog, args, plain, env), prog, [1], as_json=False)
    assert one_line(run(prog, [*args, "--json"], plain, env), prog, [1],
                    as_json=True)["code"] == code


# ----------------------------------------------------------------------------- not bad input


def _break_cache(repo: Path) -> None:
    """Make the ledger's cache a directory: a genuine state that no code path expects."""
    cache = repo / ".git" / "beads" / "cache.sqlite"
    cache.unlink()
    cache.mkdir()


def _crash_log(error_line: str, log_dir: Path) -> str:
    """The crash log the line names, which must be in `log_dir`; its text."""
    named = [Path(word.rstrip(".,;")) for word in error_line.split() if word.startswith("/")]
    assert len(named) == 1, error_line
    assert named[0].parent == log_dir and named[0].name.startswith("crash-"), error_line
    return named[0].read_text()


def test_unexpected_error_is_one_line_naming_a_crash_log(ledger: Any, repo: Path,
                                                         tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    _break_cache(repo)
    result = run("bd", ["list"], repo, env)
    line = one_line(result, "bd", [3], as_json=False)
    assert line.startswith("unexpected error (IsADirectoryError"), line
    log = _crash_log(line, tmp_path / "cache" / "gastown-py")
    assert "Traceback (most recent call last)" in log and "IsADirectoryError" in log
    assert "argv: [" in log and "'list'" in log and "version: gastown-py " in log
    assert f"python: {sys.version.split()[0]}" in log and "time: " in log

    as_json = one_line(run("bd", ["list", "--json"], repo, env), "bd", [3], as_json=True)
    assert as_json["code"] == "crash" and "IsADirectoryError" in as_json["error"]
    assert as_json["log"] in as_json["error"] and Path(as_json["log"]).is_file()


def test_crash_log_falls_back_to_the_temp_dir(ledger: Any, repo: Path, tmp_path: Path) -> None:
    """When the cache dir cannot be made (its parent is a file), the log goes to TMPDIR."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**clean_env(tmp_path), "XDG_CACHE_HOME": str(blocker), "TMPDIR": str(temp)}
    _break_cache(repo)
    line = one_line(run("bd", ["show", "gt-zzzz"], repo, env), "bd", [3], as_json=False)
    assert "Traceback" in _crash_log(line, temp)


@pytest.mark.parametrize("prog", ["bd", "gt"])
def test_a_broken_dependency_at_startup_is_a_crash(repo: Path, tmp_path: Path,
                                                   prog: str) -> None:
    """An install whose orjson cannot load (here a module named orjson, found first on the
    path, that raises): the failing import is caught too, with its log."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "orjson.py").write_text("raise ImportError('this orjson is broken')\n")
    env = {**clean_env(tmp_path), "PYTHONPATH": str(shadow)}
    line = one_line(run(prog, ["list" if prog == "bd" else "agents"], repo, env), prog, [3],
                    as_json=False)
    assert line.startswith("unexpected error (ImportError: this orjson is broken)"), line
    log = _crash_log(line, tmp_path / "cache" / "gastown-py")
    assert "Traceback" in log and "import" in log and "this orjson is broken" in log


def test_gt_unexpected_error_is_one_line_naming_a_crash_log(place: dict[str, Any]) -> None:
    town = place["town"]
    cache = town / ".git" / "beads" / "cache.sqlite"
    kept = cache.rename(town.parent / "cache.sqlite.kept")
    cache.mkdir()
    try:
        line = one_line(run_in_town(place, "gt", ["agents"]), "gt", [3], as_json=False)
    finally:
        cache.rmdir()
        kept.rename(cache)
    log = _crash_log(line, Path(place["env"]["XDG_CACHE_HOME"]) / "gastown-py")
    assert "IsADirectoryError" in log and "'agents'" in log


def test_interrupt_is_one_line_and_status_130(place: dict[str, Any]) -> None:
    """Ctrl-C on a running reactor: no traceback, status 130."""
    argv = [*PROGRAMS["gt"], "reactor", "run"]
    reactor = subprocess.Popen(argv, cwd=place["town"], env=place["env"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert reactor.stdout is not None
        assert reactor.stdout.readline().startswith(b"reactor for ")
        reactor.send_signal(signal.SIGINT)
        _out, err = reactor.communicate(timeout=60)
    finally:
        if reactor.poll() is None:
            reactor.kill()
            reactor.wait()
    assert reactor.returncode == 130, err
    # click closes the terminal's "^C" echo with a newline first; then the one line.
    assert err.decode().strip().splitlines() == ["gt: interrupted"], err


@pytest.mark.parametrize(("prog", "args", "where"),
                         [("bd", ["list"], "."), ("bd", ["list", "--json"], "."),
                          ("bd", ["list", "--json"], "proj"), ("gt", ["agents"], ".")])
def test_closed_stdout_ends_quietly(place: dict[str, Any], prog: str, args: list[str],
                                    where: str) -> None:
    """`bd list | head -1`: the reader is gone before the command writes."""
    argv = [*PROGRAMS[prog], *args]
    process = subprocess.Popen(argv, cwd=place["town"] / where, env=place["env"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read()
    process.wait(timeout=60)
    assert process.returncode == 1 and err == b"", err

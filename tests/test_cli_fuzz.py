"""A command-line fuzzer: random sequences of `bd` and `gt` invocations with hostile
arguments, run as real processes against one live town.

Each example is a few invocations of commands drawn from both click groups (walked, so a
new command is fuzzed the day it is registered), their arguments and options filled from a
pool of hostile words (bytes that are not UTF-8, control characters, shell metacharacters,
path-like ids, huge values, unknown flags, references to missing beads) mixed with the
town's real ids, addresses and names so that some invocations get past the checks and
change things. After each invocation: no traceback, an exit status of 0, 1 or 2 (3 is a
crash: its log is shown), nothing that drives a terminal, and a failure says so in exactly
one line on stderr. After each example, `bd verify` passes on every ledger of the town.

CI runs a bounded, derandomized number of examples; `./tasks fuzz` runs many more
(`GT_FUZZ_EXAMPLES`, random each run).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import click
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fuzz_helpers import FuzzTown, check, ledgers, make_fuzz_town, remember_ids, run, shown
from tests.test_bad_input import COMMANDS

EXAMPLES = int(os.environ.get("GT_FUZZ_EXAMPLES", "25"))
LONG_RUN = "GT_FUZZ_EXAMPLES" in os.environ  # `./tasks fuzz`: random, and no shrinking

# Commands that run until stopped, take over the terminal, start the town's long-running
# sessions or build other towns: a fuzzer cannot wait for them, and they test nothing here.
SKIPPED = {
    ("gt", "demo"), ("gt", "install"), ("gt", "up"), ("gt", "reactor", "run"),
    ("gt", "reactor", "start"), ("gt", "refinery", "run"), ("gt", "refinery", "start"),
    ("gt", "mayor", "attach"), ("gt", "rig", "remove"), ("gt", "dashboard"),
    ("gt", "deacon", "run"), ("gt", "session", "attach"),
}
# Options that write where they are told (a path outside the town as root is no test
# scratch) or wait forever.
SKIPPED_OPTIONS = {("bd", "export", "--output"), ("gt", "hooks", "--remote"),
                   ("gt", "feed", "--follow"), ("gt", "status", "--watch")}

HOSTILE: list[str | bytes] = [
    b"\xff\xfe", b"caf\xe9", b"\x80abc", b"ok\xc3(",
    "\x1b[2J", "a\x07b", "\r\n", "one\ntwo", "\x7f", "\x9b31m", "\u2028", "\u202e", "t\tab",
    "$(id)", "`id`", "; rm -rf ~", "| cat", "&& echo pwned", "'\"", "*", "{a,b}", "%s%n",
    "../x", "../../x/y", "/dev/null", "..", ".", "~", "-", "--", "pj-../x", "hq-..",
    "x" * 10_000, "9" * 400, "é" * 3000,
    "--no-such-flag", "-Z", "--json=maybe",
    "-1", "0", "4", "99999999999999999999", "1e309", "nan", "inf",
    "pj-zzzz", "hq-zzzz", "pj-", "pj", "zz-abc", "external:other:x-1",
    "",
]
PLAIN = ["open", "closed", "in_progress", "bug", "task", "epic", "blocks", "parent-child",
         "P1", "2", "2025-01-01", "1d", "quiet", "proj", "mayor", "deacon", "proj/witness",
         "proj/refinery", "proj/polecats/nux", "proj/crew/nobody", "overseer", "title",
         "status", "label", "merge", "batch_size", "true"]


@dataclass(frozen=True)
class Known:
    """The n-th id the town knows when the invocation runs (those made by earlier examples
    among them): drawn as a number, so what is drawn never depends on the town's state."""

    n: int

    def __repr__(self) -> str:
        return f"<known id {self.n}>"


Word = str | bytes | Known
WORD: st.SearchStrategy[Word] = st.one_of(
    st.sampled_from(HOSTILE), st.sampled_from(PLAIN), st.integers(0, 25).map(Known))


def resolve(town: FuzzTown, words: list[Word]) -> list[str | bytes]:
    ids = town["ids"]
    return [ids[w.n % len(ids)] if isinstance(w, Known) else w for w in words]


def _value(option: click.Option, word: st.SearchStrategy[Word]) -> st.SearchStrategy[Word]:
    """A value for the option: any word, or one its type accepts."""
    if isinstance(option.type, click.Choice):
        return st.one_of(word, st.sampled_from([str(c) for c in option.type.choices]))
    if isinstance(option.type, click.types.IntParamType | click.types.FloatParamType):
        return st.one_of(word, st.integers(-5, 10**6).map(str))
    return word


def _parameters(prog: str, path: tuple[str, ...], command: click.Command
                ) -> tuple[list[click.Argument], list[click.Option]]:
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    options = [p for p in command.params if isinstance(p, click.Option)
               and not any((prog, path[0], opt) in SKIPPED_OPTIONS for opt in p.opts)]
    return arguments, options


FUZZED = [(prog, path, *_parameters(prog, path, command)) for prog, path, command in COMMANDS
          if (prog, *path) not in SKIPPED and (prog, *path[:1]) not in SKIPPED]


@st.composite
def invocation(draw: Any, word: st.SearchStrategy[Word] = WORD
               ) -> tuple[str, str, list[Word]]:
    """One command line: (program, where it runs, its words)."""
    prog, path, arguments, options = draw(st.sampled_from(FUZZED))
    words: list[Word] = [*path]
    for argument in arguments:
        if argument.nargs == -1:
            words += draw(st.lists(word, min_size=int(argument.required), max_size=3))
        elif argument.required or draw(st.booleans()):
            words.append(draw(word))
    for option in draw(st.lists(st.sampled_from(options), max_size=3)) if options else []:
        words.append(option.opts[-1])
        if not option.is_flag:
            words.append(draw(_value(option, word)))
    if draw(st.integers(0, 5)) == 0:  # now and then, a word that is no option of it
        words.insert(draw(st.integers(len(path), len(words))), draw(st.sampled_from(HOSTILE)))
    if draw(st.booleans()):
        words.append("--json")
    return prog, draw(st.sampled_from(["town", "rig"])), words


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTown]:
    place = make_fuzz_town(tmp_path_factory.mktemp("fuzz"))
    yield place
    tally = place["tally"]
    print(f"\nfuzz: {tally.pop('examples', 0)} examples, {sum(tally.values())} invocations "
          f"({', '.join(f'{k}: {v}' for k, v in sorted(tally.items()))})")


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG_RUN, database=None,
          phases=[Phase.explicit, Phase.generate] if LONG_RUN else list(Phase),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_random_invocations_never_crash_and_leave_every_ledger_verified(
        town: FuzzTown, data: st.DataObject) -> None:
    steps = data.draw(st.lists(invocation(), min_size=1, max_size=4))
    town["tally"]["examples"] = town["tally"].get("examples", 0) + 1
    for prog, where, drawn in steps:
        words = resolve(town, drawn)
        result = run(town, prog, words, where)
        check(town, prog, words, result)
        remember_ids(town, result)
    for ledger in ledgers(town):
        verified = run(town, "bd", ["-C", str(ledger), "verify", "--json"])
        assert verified.returncode == 0, (ledger, verified.stdout, verified.stderr,
                                          [(p, shown(resolve(town, w))) for p, _, w in steps])

"""The fast path for `gt prime`, which every agent session runs at start and after compaction.

With the caches current it needs neither click nor pygit2 (together well over 100 ms of
imports), so `gt prime [--hook] [--agent <address>] [--json]` is answered here, before the
command-line framework loads; any other argument (such as `--help`) goes the ordinary way.
Both ways print through `print_prime`, so they answer alike.
"""

from __future__ import annotations

import os
import sys

from beads.cli.output import emit_json, safe
from gt.seance import hook_input
from gt.town import Town
from gt.whoami import named_or_current
from gt.work import prime as priming


def print_prime(town: Town, address: str | None, at_session_start: bool,
                as_json: bool) -> None:
    """`gt prime`: the agent's context, recorded as its session's start with --hook."""
    agent = named_or_current(town, address)
    context = priming.context(town, agent)
    if at_session_start:
        priming.session_started(town, agent, context, hook_input(sys.stdin),
                                os.environ.get("GT_RUNTIME"))
    if as_json:
        emit_json(context)
    else:
        sys.stdout.write(safe(priming.render(context), keep_newlines=True))
        sys.stdout.flush()


def _options(args: list[str]) -> tuple[str | None, bool, bool] | None:
    """(--agent, --hook, --json) of a prime command line; None for anything else."""
    address, hook, as_json = None, False, False
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--hook":
            hook = True
        elif arg == "--json":
            as_json = True
        elif arg == "--agent" and rest and not rest[0].startswith("-"):
            address = rest.pop(0)
        elif arg.startswith("--agent=") and len(arg) > 8:
            address = arg[8:]
        else:
            return None
    return address, hook, as_json


def answer(argv: list[str]) -> bool:
    """Answer `argv` if it is a plain `gt prime`; False to take the full path."""
    if argv[:1] != ["prime"]:
        return False
    options = _options(argv[1:])
    if options is None:
        return False
    address, hook, as_json = options
    print_prime(Town.find(), address, hook, as_json)
    return True

"""The `gt` entry point: the fast path of `gt prime` (gt.cli.fast), then the click command,
both (their imports included) under the one error handler (beads.cli.error_handler), so
that even a failing import is one line and a crash log."""

from __future__ import annotations

import sys

from beads.cli.error_handler import error_handler


def main() -> None:
    with error_handler("gt"):
        if sys.argv[1:2] == ["status"]:
            from gt.cli.statusview import answer

            if answer(sys.argv[1:]):
                return
        from gt.cli.fast import answer as answer_prime

        if answer_prime(sys.argv[1:]):
            return
        from gt.cli.main import main as run

        run()

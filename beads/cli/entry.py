"""The `bd` entry point: the fast read path first, then the full click command, both (and
their imports) under the one error handler."""

from __future__ import annotations

import sys

from beads.cli.error_handler import error_handler


def main() -> None:
    with error_handler("bd"):
        from beads.cli.fast import answer

        if answer(sys.argv[1:]):
            return
        from beads.cli.main import main as full

        full()

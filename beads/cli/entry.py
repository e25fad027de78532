"""The `bd` entry point: the fast read path first, then the full click command.

Both run under the one error handler (beads.cli.error_handler). The fast path is tried before
the handler is imported, since its imports would cost more than the fast read itself; anything
the fast path raises is handed to the handler, which reports it as it reports every error.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from beads.cli.fast import answer

        if answer(sys.argv[1:]):
            return
    except BaseException:
        from beads.cli.error_handler import error_handler

        with error_handler("bd"):
            raise
    from beads.cli.error_handler import error_handler

    with error_handler("bd"):
        from beads.cli.main import main as full

        full()

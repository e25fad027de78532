"""The `bd` entry point: the fast read path first, then the full click command."""

from __future__ import annotations

import sys


def main() -> None:
    from beads.cli.fast import answer

    if answer(sys.argv[1:]):
        return
    from beads.cli.main import main as full

    full()

"""The git directories of a ledger as `Path`s, and the routes file of a town.

Discovery itself (and reading refs with plain file reads, no pygit2) is `beads.gitpaths`,
on strings, so the fast read path can use it without pathlib; this module wraps its answer.
A `.beads-ledger` file lets a directory that is not itself a repository (a rig's directory
in a town) name the ledger that serves it. A `.beads-routes.json` file higher up maps bead-id
prefixes to ledgers, so an id is found wherever a command runs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from beads.errors import NotInitialized
from beads.gitpaths import BEADS_REF, LEDGER_MARKER, STATE_DIR_NAME, locate, read_ref, start_dir

__all__ = ["BEADS_REF", "LEDGER_MARKER", "ROUTES_FILE", "GitDirs", "find", "find_routes",
           "read_ref"]

ROUTES_FILE = ".beads-routes.json"


@dataclass(frozen=True)
class GitDirs:
    """`git_dir` is this work tree's; `common_dir` holds refs, objects and `beads/`."""

    git_dir: Path
    common_dir: Path

    @property
    def state_dir(self) -> Path:
        """Local, never committed: cache, wisp overlay, locks."""
        return self.common_dir / STATE_DIR_NAME


def find(start: str | os.PathLike[str] | None = None) -> GitDirs:
    """The git dirs for `start` (default: $BEADS_DIR, $GIT_DIR, $BEADS_WORKING_DIR, or the
    current directory; see `beads.gitpaths.start_dir`)."""
    here = start_dir(start)
    found = locate(here)
    if found is None:
        raise NotInitialized(f"not in a git repository: {here}")
    return GitDirs(git_dir=Path(found[0]), common_dir=Path(found[1]))


def find_routes(start: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """Prefix -> ledger path, from the nearest `.beads-routes.json` above `start`."""
    here = Path(start if start is not None else os.getcwd()).resolve()
    for candidate in (here, *here.parents):
        routes = candidate / ROUTES_FILE
        if routes.is_file():
            try:
                table = json.loads(routes.read_text())
            except ValueError:
                return {}
            return {str(k): (candidate / str(v)).resolve() for k, v in table.items()}
    return {}

"""Find a ledger's git directories and read refs with plain file reads (no pygit2).

Read-only commands use this to check whether the cache is current before paying for the
pygit2 import. Discovery walks up from the current directory; at each level a `.git`
directory or file wins, then a `.beads-ledger` file (one line: the path of a git directory,
relative to the file), which lets a directory that is not itself a repository (a rig's
directory in a town) name the ledger that serves it. A `.beads-routes.json` file higher up
maps bead-id prefixes to ledgers, so an id is found wherever a command runs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from beads.errors import NotInitialized

BEADS_REF = "refs/heads/beads"
LEDGER_MARKER = ".beads-ledger"
ROUTES_FILE = ".beads-routes.json"


@dataclass(frozen=True)
class GitDirs:
    """`git_dir` is this work tree's; `common_dir` holds refs, objects and `beads/`."""

    git_dir: Path
    common_dir: Path

    @property
    def state_dir(self) -> Path:
        """Local, never committed: cache, wisp overlay, locks."""
        return self.common_dir / "beads"


def _is_git_dir(path: Path) -> bool:
    return ((path / "HEAD").is_file() and (path / "objects").is_dir()) or (
        (path / "HEAD").is_file() and (path / "commondir").is_file())


def _from_dotgit_file(dotgit: Path) -> Path | None:
    text = dotgit.read_text(errors="replace").strip()
    if not text.startswith("gitdir:"):
        return None
    target = Path(text[len("gitdir:"):].strip())
    return (dotgit.parent / target).resolve() if not target.is_absolute() else target


def find(start: str | os.PathLike[str] | None = None) -> GitDirs:
    """The git dirs for `start` (default: $BEADS_DIR, $GIT_DIR, $BEADS_WORKING_DIR, or the
    current directory). Beads' clients set BEADS_DIR to a workspace's `.beads` and
    BEADS_WORKING_DIR to the workspace itself: discovery walks up from either."""
    env = (os.environ.get("BEADS_DIR") or os.environ.get("GIT_DIR")
           or os.environ.get("BEADS_WORKING_DIR"))
    here = Path(start if start is not None else env or os.getcwd()).resolve()
    git_dir = None
    for candidate in (here, *here.parents):
        dotgit = candidate / ".git"
        marker = candidate / LEDGER_MARKER
        if dotgit.is_dir():
            git_dir = dotgit
        elif dotgit.is_file():
            git_dir = _from_dotgit_file(dotgit)
        elif marker.is_file():
            git_dir = (candidate / marker.read_text().strip()).resolve()
        elif _is_git_dir(candidate):
            git_dir = candidate
        if git_dir is not None:
            break
    if git_dir is None:
        raise NotInitialized(f"not in a git repository: {here}")
    common = git_dir
    commondir_file = git_dir / "commondir"
    if commondir_file.is_file():
        common = (git_dir / commondir_file.read_text().strip()).resolve()
    return GitDirs(git_dir=git_dir, common_dir=common)


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


def read_ref(common_dir: Path, ref: str = BEADS_REF) -> str | None:
    """The object id a ref points at, from its loose file or packed-refs; None if absent."""
    try:
        value = (common_dir / ref).read_text().strip()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        value = ""
    if value.startswith("ref: "):
        return read_ref(common_dir, value[5:])
    if value:
        return value
    try:
        with open(common_dir / "packed-refs", encoding="utf-8", errors="replace") as packed:
            for line in packed:
                if line.endswith(f" {ref}\n") and not line.startswith(("#", "^")):
                    return line.split(" ", 1)[0]
    except FileNotFoundError:
        pass
    return None

"""The `.beads` link: where Beads' clients find the ledger, and what their watchers watch.

Tools built for Beads (beads-mcp, beads-ui) look for a `.beads/` directory holding
`metadata.json` up from the working directory, and beads-ui refreshes whenever a file in that
directory changes. Our ledger lives in git, so `bd init` gives each work tree a `.beads`
symbolic link to one directory in the repository's state dir, `<git common dir>/beads/
workspace/`, which holds `metadata.json` (naming the ledger) and `last-change`, rewritten by
every write to the ledger (a commit, a sync's merge or fast-forward, a wisp) and, through a
git hook, by every move of the ledger ref that bd did not make (`beads.watchhook`; in a town
gt's hook shim does it). Why so:

- nothing is committed and `git status` stays clean: the link is untracked and listed in
  `<git common dir>/info/exclude`, which git reads for every work tree and never shares;
- one directory serves every work tree of the repository, so a write from any of them (they
  share the ledger) reaches a client watching any other, for the price of one small file write;
- the cache and locks stay out of it: reads write there too (sqlite's journal files come and
  go), which would wake the watcher on every read and refresh the page forever.

A `.beads` that is not our link (a real Beads project) is left alone. This module never
imports pygit2.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from beads.gitdir import BEADS_REF, GitDirs

LINK_NAME = ".beads"
SIGNAL_DIR = "workspace"
CHANGE_FILE = "last-change"
EXCLUDE_LINE = "/.beads"


def signal_dir(state_dir: Path) -> Path:
    return state_dir / SIGNAL_DIR


def work_tree(dirs: GitDirs) -> Path | None:
    """The work tree of `dirs.git_dir`: a `.git` directory's parent, or a linked work tree's
    directory (from its `gitdir` file); None for a bare repository."""
    if dirs.git_dir.name == ".git":
        return dirs.git_dir.parent
    pointer = dirs.git_dir / "gitdir"
    if pointer.is_file():
        return Path(pointer.read_text().strip()).parent
    return None


def link_path(dirs: GitDirs) -> Path | None:
    """The work tree's `.beads` when it is our link to this ledger."""
    tree = work_tree(dirs)
    if tree is None:
        return None
    link = tree / LINK_NAME
    if link.is_symlink() and link.resolve() == signal_dir(dirs.state_dir).resolve():
        return link
    return None


def ensure(dirs: GitDirs) -> tuple[Path | None, str]:
    """Give the work tree its `.beads` link (idempotent); returns the link and what happened."""
    tree = work_tree(dirs)
    if tree is None:
        return None, "bare repository: no work tree to hold .beads"
    target = signal_dir(dirs.state_dir)
    target.mkdir(parents=True, exist_ok=True)
    metadata = target / "metadata.json"
    content = json.dumps({"backend": "git", "database": "git", "ledger_ref": BEADS_REF,
                          "git_common_dir": "../..",
                          "note": "bd (gastown-py) keeps its ledger on the beads branch; "
                                  "this directory only announces it"}, indent=2) + "\n"
    if not metadata.is_file() or metadata.read_text() != content:
        metadata.write_text(content)
    _exclude(dirs.common_dir)
    link = tree / LINK_NAME
    if link.is_symlink() and link.resolve() == target.resolve():
        return link, "present"
    if link.exists() or link.is_symlink():
        return None, f"{link} exists and is not bd's: left alone"
    link.symlink_to(os.path.relpath(target, tree), target_is_directory=True)
    return link, "created"


def _exclude(common_dir: Path) -> None:
    exclude = common_dir / "info" / "exclude"
    try:
        lines = exclude.read_text().splitlines()
    except FileNotFoundError:
        lines = []
    if EXCLUDE_LINE in lines:
        return
    exclude.parent.mkdir(parents=True, exist_ok=True)
    with open(exclude, "a", encoding="utf-8") as out:
        if lines and not exclude.read_text().endswith("\n"):
            out.write("\n")
        out.write(EXCLUDE_LINE + "\n")


def touch(state_dir: Path) -> None:
    """Tell watchers the ledger changed: rewrite `last-change` if the link's directory exists.
    Never fails the write that called it."""
    directory = signal_dir(state_dir)
    if not directory.is_dir():
        return
    with contextlib.suppress(OSError):
        (directory / CHANGE_FILE).write_text(f"{time.time_ns()}\n")

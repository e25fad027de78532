"""Find a ledger's git directories and read refs, on plain strings with nothing but `os`.

The `bd` fast read path answers before pathlib, dataclasses or pygit2 are loaded, so the
discovery rules live here; `beads.gitdir` wraps the result in `Path`s for everyone else.
Discovery walks up from the start directory; at each level a `.git` directory or file wins,
then a `.beads-ledger` file (one line: the path of a git directory, relative to the file),
then the directory itself if it is a git directory (a bare repository).
"""

from __future__ import annotations

import os

BEADS_REF = "refs/heads/beads"
LEDGER_MARKER = ".beads-ledger"
STATE_DIR_NAME = "beads"


def start_dir(start: str | os.PathLike[str] | None = None) -> str:
    """Where discovery starts: `start`, else $BEADS_DIR, $GIT_DIR, $BEADS_WORKING_DIR, else the
    current directory. Beads' clients set BEADS_DIR to a workspace's `.beads` and
    BEADS_WORKING_DIR to the workspace itself: discovery walks up from either."""
    env = (os.environ.get("BEADS_DIR") or os.environ.get("GIT_DIR")
           or os.environ.get("BEADS_WORKING_DIR"))
    return os.path.realpath(start if start is not None else env or os.getcwd())


def _read_line(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read().strip()


def _is_git_dir(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "HEAD")) and (
        os.path.isdir(os.path.join(path, "objects"))
        or os.path.isfile(os.path.join(path, "commondir")))


def _from_dotgit_file(dotgit: str) -> str | None:
    text = _read_line(dotgit)
    if not text.startswith("gitdir:"):
        return None
    target = text[len("gitdir:"):].strip()
    if os.path.isabs(target):
        return target
    return os.path.realpath(os.path.join(os.path.dirname(dotgit), target))


def _git_dir_at(candidate: str) -> str | None:
    dotgit = os.path.join(candidate, ".git")
    marker = os.path.join(candidate, LEDGER_MARKER)
    if os.path.isdir(dotgit):
        return dotgit
    if os.path.isfile(dotgit):
        return _from_dotgit_file(dotgit)
    if os.path.isfile(marker):
        return os.path.realpath(os.path.join(candidate, _read_line(marker)))
    if _is_git_dir(candidate):
        return candidate
    return None


def locate(here: str) -> tuple[str, str] | None:
    """(git dir, common dir) for the absolute directory `here`; None outside any repository.
    The common dir holds refs, objects and the ledger's state directory."""
    candidate = here
    while True:
        git_dir = _git_dir_at(candidate)
        if git_dir is not None:
            break
        parent = os.path.dirname(candidate)
        if parent == candidate:
            return None
        candidate = parent
    commondir_file = os.path.join(git_dir, "commondir")
    if os.path.isfile(commondir_file):
        return git_dir, os.path.realpath(os.path.join(git_dir, _read_line(commondir_file)))
    return git_dir, git_dir


def read_ref(common_dir: str | os.PathLike[str], ref: str = BEADS_REF) -> str | None:
    """The object id a ref points at, from its loose file or packed-refs; None if absent."""
    try:
        with open(os.path.join(common_dir, ref), encoding="utf-8") as loose:
            value = loose.read().strip()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        value = ""
    if value.startswith("ref: "):
        return read_ref(common_dir, value[5:])
    if value:
        return value
    try:
        with open(os.path.join(common_dir, "packed-refs"), encoding="utf-8",
                  errors="replace") as packed:
            for line in packed:
                if line.endswith(f" {ref}\n") and not line.startswith(("#", "^")):
                    return line.split(" ", 1)[0]
    except FileNotFoundError:
        pass
    return None

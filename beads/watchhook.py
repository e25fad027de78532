"""The git hook that tells Beads' tools the ledger moved when bd did not move it.

bd's own writes rewrite the workspace's `last-change` file (`beads.workspace.touch`), which
beads-ui's watcher sees through `.beads`. The ledger ref also moves without bd: a `git fetch`
into it, a `git merge` or `git update-ref` on it, a commit from another tool. Only git sees
those, so bd installs a `reference-transaction` hook (git >= 2.28 runs it for every ref
transaction, in every work tree of the repository) that rewrites `last-change` after a
committed transaction naming `refs/heads/beads`. It is plain sh: it needs no Python, costs a
`case` for every other ref, and can never fail a git command. (libgit2, which bd writes
with, runs no hooks: bd touches the file itself.)

- A hook of someone else's at that name is never replaced: it is kept beside ours as
  `reference-transaction.bd-chained` and runs first, with the same arguments and input, and
  its exit status is the hook's (so it can still refuse a prepared transaction).
- gt's hook shim (`gt hooks install`, in a town) rewrites `last-change` itself: when it is
  there, bd adds nothing.
- A hooks directory inside the work tree (`core.hooksPath` pointing at tracked files, as hook
  managers do) gets nothing: a new file there would show in `git status`. `bd doctor` says so.
"""

from __future__ import annotations

from pathlib import Path

from beads import gitrun
from beads.errors import BeadsError
from beads.gitdir import GitDirs

HOOK_NAME = "reference-transaction"
CHAINED_SUFFIX = ".bd-chained"
MARKER = "# bd watch hook: managed by bd (bd init, bd doctor --fix); do not edit"
# gt's shims carry this line, and tell watchers themselves (gt/githooks.py).
GT_SHIM_MARKER = "# gastown-py hook shim"

# The states `state` reports.
INSTALLED, BY_GT, ABSENT, FOREIGN, UNREACHABLE = (
    "installed", "gt", "absent", "foreign", "unreachable")

SCRIPT = f"""#!/bin/sh
{MARKER}
#
# reference-transaction ($1: prepared, committed or aborted; stdin: "<old> <new> <ref>" lines).
# After a committed transaction that moved refs/heads/beads (a fetch or merge into it, an
# update-ref, a commit from another tool), rewrite <git common dir>/beads/workspace/last-change:
# Beads' tools watch it through the work tree's .beads link. The hook this one replaced, if
# any, is kept beside it as {HOOK_NAME}{CHAINED_SUFFIX}: it runs first with the same
# arguments and input, and its exit status is ours (gt's shim may in turn run this hook as
# its own chained one). This hook's own part never fails the git command.
case $0 in */*) chained=${{0%/*}} ;; *) chained=. ;; esac
chained="$chained/{HOOK_NAME}{CHAINED_SUFFIX}"
if [ "${{1:-}}" != committed ]; then
    if [ -x "$chained" ]; then exec "$chained" "$@"; fi
    exit 0
fi
# Read stdin once (the trailing "." keeps its final newlines); the chained hook gets a copy.
input=$(cat; echo .)
input=${{input%.}}
status=0
if [ -x "$chained" ]; then
    printf '%s' "$input" 2>/dev/null | "$chained" "$@"
    status=$?
fi
case "$input" in
    *" refs/heads/beads
"*)
        common=$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null) &&
            [ -d "$common/beads/workspace" ] &&
            date +%s%N 2>/dev/null > "$common/beads/workspace/last-change"
        ;;
esac
exit $status
"""


def hooks_dir(dirs: GitDirs) -> Path:
    """The directory git runs this repository's hooks from (honours core.hooksPath)."""
    cwd = dirs.git_dir.parent if dirs.git_dir.name == ".git" else dirs.git_dir
    done = gitrun.run(("rev-parse", "--path-format=absolute", "--git-path", "hooks"),
                      cwd=cwd, timeout=30)
    return Path(done.stdout.strip())


def _text(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            return handle.read(65536).decode("utf-8", errors="replace")
    except OSError:
        return None


def _inside_work_tree(directory: Path, dirs: GitDirs) -> bool:
    """Whether `directory` holds work-tree files (not the git dir inside the work tree)."""
    from beads.workspace import work_tree

    tree = work_tree(dirs)
    if tree is None:
        return False
    here, tree = directory.resolve(), tree.resolve()
    in_tree = here == tree or tree in here.parents
    in_git_dir = any(d.resolve() in (here, *here.parents)
                     for d in (dirs.git_dir, dirs.common_dir))
    return in_tree and not in_git_dir


def state(dirs: GitDirs) -> tuple[str, Path]:
    """What runs at the hook's place, and the hooks directory: INSTALLED (ours), BY_GT (gt's
    shim, which tells watchers itself), ABSENT, FOREIGN (someone else's, not chained yet) or
    UNREACHABLE (a hooks directory inside the work tree)."""
    directory = hooks_dir(dirs)
    path = directory / HOOK_NAME
    text = _text(path) if path.is_file() else None
    if text is not None and MARKER in text:
        return INSTALLED, directory
    if text is not None and GT_SHIM_MARKER in text:
        return BY_GT, directory
    if _inside_work_tree(directory, dirs):
        return UNREACHABLE, directory
    if path.exists() or path.is_symlink():
        return FOREIGN, directory
    return ABSENT, directory


def install(dirs: GitDirs) -> tuple[bool, str]:
    """Make ref moves reach the watchers (idempotent). Returns whether they will, and a line
    saying what was done or why not; never raises for a hooks directory it cannot write."""
    try:
        return _install(dirs)
    except (BeadsError, OSError) as error:
        return False, f"cannot add bd's {HOOK_NAME} hook: {error}"


def _install(dirs: GitDirs) -> tuple[bool, str]:
    current, directory = state(dirs)
    path = directory / HOOK_NAME
    if current == BY_GT:
        return True, f"{path}: gt's hook shim tells watchers"
    if current == UNREACHABLE:
        return False, (f"the hooks directory {directory} is inside the work tree: bd adds "
                       "no file there (it would show in git status); a ref move made without "
                       "bd reaches Beads' tools at bd's next write")
    note = ""
    if current == FOREIGN:
        chained = directory / (HOOK_NAME + CHAINED_SUFFIX)
        if chained.exists() or chained.is_symlink():
            return False, (f"cannot add bd's hook in {directory}: both {HOOK_NAME} and "
                           f"{chained.name} exist; move one of them aside")
        path.rename(chained)
        note = f" (the existing hook runs first, kept as {chained.name})"
    if current == INSTALLED and _text(path) == SCRIPT:
        path.chmod(0o755)
        return True, f"{path}: present"
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{HOOK_NAME}.bd-tmp"
    tmp.write_text(SCRIPT)
    tmp.chmod(0o755)
    tmp.replace(path)
    return True, f"{path}: {'updated' if current == INSTALLED else 'installed'}{note}"

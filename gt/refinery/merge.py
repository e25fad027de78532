"""Putting a request on top of a base without a checkout: `git merge-tree --write-tree`.

Two methods, chosen per rig (`merge = "merge"` or `"rebase"` in the rig's settings):
merge makes one merge commit (base, request); rebase replays each of the request's commits
onto the base, keeping their authors and messages. Either way a conflict is found without
touching any work tree, and nothing but new objects is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pygit2

from beads.events import one_line
from gt.errors import GtError
from gt.git import GT_IDENTITY, git, out
from gt.rig import Rig


@dataclass
class Merged:
    """The commit a request makes on top of a base, or the files it conflicts in."""

    commit: str | None
    conflicts: list[str] = field(default_factory=list)


def _merge_tree(rig: Rig, *args: str) -> tuple[str | None, list[str]]:
    result = git("merge-tree", "--write-tree", "--name-only", *args, cwd=rig.repo,
                 check=False)
    lines = result.stdout.split("\n")
    if result.returncode == 0:
        return lines[0].strip(), []
    if result.returncode == 1:
        files = []
        for line in lines[1:]:
            if not line.strip():
                break
            files.append(line.strip())
        return None, files or ["(unknown files)"]
    reason = (result.stderr.strip().splitlines() or ["exit status " + str(result.returncode)])
    raise GtError(f"git merge-tree failed: {reason[-1]}")


def merge_commit(rig: Rig, base: str, request: str, message: str) -> Merged:
    """One merge commit (base, request) whose message is `message` on one line: it names a
    bead's title, which is data, so its control characters are folded to spaces."""
    tree, conflicts = _merge_tree(rig, base, request)
    if tree is None:
        return Merged(None, conflicts)
    commit = out("commit-tree", tree, "-p", base, "-p", request, "-m", one_line(message),
                 cwd=rig.repo)
    return Merged(commit)


def rebase_commits(rig: Rig, base: str, request: str) -> Merged:
    """Replay base..request's commits (oldest first) onto `base`, each a three-way merge of
    the commit against its own parent, done in memory by libgit2."""
    repo = pygit2.Repository(str(rig.repo))
    fork = out("merge-base", base, request, cwd=rig.repo)
    commits = out("rev-list", "--reverse", "--no-merges", f"{fork}..{request}",
                  cwd=rig.repo).split()
    tip = repo[base]
    for commit_id in commits:
        commit = repo[commit_id]
        index = repo.merge_trees(commit.parents[0].tree, tip.tree, commit.tree)
        if index.conflicts is not None:
            return Merged(None, sorted({(ours or theirs or base_entry).path for base_entry, ours,
                                        theirs in index.conflicts}))
        tree = index.write_tree(repo)
        committer = pygit2.Signature(GT_IDENTITY["GIT_COMMITTER_NAME"],
                                     GT_IDENTITY["GIT_COMMITTER_EMAIL"])
        tip = repo[repo.create_commit(None, commit.author, committer, commit.message, tree,
                                      [tip.id])]
    return Merged(str(tip.id))


def put_on(rig: Rig, base: str, request: str, message: str) -> Merged:
    """The request on top of `base` by the rig's method."""
    if rig.settings.merge == "rebase":
        return rebase_commits(rig, base, request)
    return merge_commit(rig, base, request, message)

"""Publishing the default branch to the rig's origin, when the rig is set to push.

An atomic push with an explicit lease on the remote branch, never a forced refspec: if
someone else moved the remote branch, the push is refused and recorded on the merged beads
(`mr_push`). Bringing the rig back in line with its origin is the job of syncing.
"""

from __future__ import annotations

from gt.git import git
from gt.rig import Rig


def push_branch(rig: Rig, old: str, new: str) -> str:
    """Push `new` to origin's default branch; returns what happened (for the log)."""
    if not rig.settings.push:
        return "not pushed (the rig does not push)"
    branch = rig.branch
    # The lease is the branch as this rig had it before the landing: if origin still has
    # that, `new` (a descendant) fast-forwards it; if anyone else moved it, the push fails.
    result = git("push", "--atomic", "--porcelain", f"--force-with-lease=refs/heads/{branch}:"
                 f"{old}", "origin", f"{new}:refs/heads/{branch}", cwd=rig.repo, check=False)
    if result.returncode == 0:
        return f"pushed {new[:10]} to origin"
    return f"push to origin refused ({result.stderr.strip().splitlines()[-1:] or ['?']})"

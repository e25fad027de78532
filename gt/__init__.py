"""gt: a git-native orchestrator of coding-agent sessions, on the beads ledger.

A town is a git repository with its own ledger (prefix `hq`); each rig is a bare clone of a
project holding the rig's ledger and its merge requests (`refs/mr/*`). Work is slung onto the
hook of a worker agent (a polecat) that runs in its own worktree and finishes with `gt done`;
the Refinery drains the merge requests into the default branch.
"""

"""The orchestrator's errors: one line a user can act on."""

from beads.errors import BeadsError


class GtError(BeadsError):
    """A failure of a gt command, reported as one line."""

    code = "gt_error"

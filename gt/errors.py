"""The orchestrator's errors: one line a user can act on.

Like every BeadsError, a GtError is reported by beads.cli.error_handler: `gt: <message>`,
or `{"error": ..., "code": ...}` with --json, and status 1. `code` is stable.
"""

from beads.errors import BeadsError


class GtError(BeadsError):
    """A failure of a gt command, reported as one line."""

    code = "gt_error"

"""The ledger's exception types: each carries a one-line message fit for a user.

`code` names the kind of error in `--json` output (`{"error": ..., "code": ...}`, written by
beads.cli.error_handler): scripts and agents match on it, so a code is never renamed.
"""


class BeadsError(Exception):
    """Base class: a failure the user can act on, reported as one line."""

    code = "error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(BeadsError):
    code = "invalid_input"


class NotFound(BeadsError):
    code = "not_found"


class AmbiguousId(BeadsError):
    code = "ambiguous_id"


class AlreadyClaimed(BeadsError):
    code = "already_claimed"


class CycleError(BeadsError):
    code = "dependency_cycle"


class GuardError(BeadsError):
    code = "guard"


class NotInitialized(BeadsError):
    code = "not_initialized"


class StorageError(BeadsError):
    code = "storage"

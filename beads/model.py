"""The bead schema: statuses, types, dependency kinds, fields and their validation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from beads.errors import InvalidInput

SCHEMA_VERSION = 1

STATUSES = ("open", "in_progress", "blocked", "deferred", "hooked", "pinned", "closed")
ISSUE_TYPES = (
    "bug", "feature", "task", "epic", "chore", "decision", "message", "molecule", "gate",
    "agent", "convoy", "merge-request",
)
# Types that are machinery rather than work: never offered by `ready`.
INFRA_TYPES = frozenset({"message", "agent", "convoy", "merge-request", "gate", "molecule"})

DEP_TYPES = (
    "blocks", "parent-child", "related", "discovered-from", "tracks", "waits-for",
    "conditional-blocks",
)
# Dependency types whose target can hold the dependent back from `ready`.
BLOCKING_DEP_TYPES = frozenset({"blocks", "parent-child", "waits-for", "conditional-blocks"})

MAX_TITLE = 500

# Scalar fields a bead may carry, with the kind of value each takes.
TEXT_FIELDS = ("title", "description", "design", "acceptance_criteria", "notes",
               "assignee", "owner", "created_by", "external_ref", "close_reason")
TIME_FIELDS = ("created_at", "updated_at", "started_at", "closed_at", "due_at", "defer_until")
# Fields derived by the ledger itself, never set directly.
DERIVED_FIELDS = frozenset({"updated_at", "closed_at", "close_reason", "close_failed",
                            "created_at", "started_at"})
# Keys computed on output (Beads' export carries them); ignored on import.
COMPUTED_KEYS = frozenset({"dependency_count", "dependent_count", "comment_count", "parent",
                           "schema_version", "ready", "blocked_by", "children"})
# Collection keys that are not scalar fields.
COLLECTION_KEYS = frozenset({"labels", "dependencies", "comments"})
EXTRA_FIELD_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def now_iso() -> str:
    """The current time as an RFC 3339 UTC timestamp with millisecond precision."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(value: str, field: str = "time") -> datetime:
    """Parse an RFC 3339 / ISO 8601 timestamp or a plain date; naive values are UTC."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"invalid {field} {value!r}: expected a date like 2026-11-24 "
                           "or 2026-11-24T10:00:00Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def normalize_time(value: str, field: str) -> str:
    """Validate a timestamp; UTC ones ending in Z are kept as given, others become UTC."""
    parsed = parse_time(value, field)
    if value.strip().endswith("Z") and "T" in value:
        return value.strip()
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_priority(value: Any) -> int:
    """Accept 0-4 or P0-P4 (any case); anything else is an error."""
    text = str(value).strip()
    if text[:1] in ("P", "p"):
        text = text[1:]
    if isinstance(value, bool) or not text.isdigit() or not 0 <= int(text) <= 4:
        raise InvalidInput(f"invalid priority {value!r}: use 0-4 or P0-P4")
    return int(text)


def check_utf8(text: str, what: str) -> str:
    """Refuse text that cannot be stored as UTF-8 (undecodable bytes from the command line)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} is not valid UTF-8") from None
    return text


def check_title(title: Any) -> str:
    if not isinstance(title, str) or not title.strip():
        raise InvalidInput("a bead needs a non-empty title")
    check_utf8(title, "the title")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"title is {len(title)} characters; the limit is {MAX_TITLE}")
    return title


class Vocabulary:
    """The statuses, types and dependency kinds a ledger accepts (built-in plus configured)."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        config = config or {}
        self.statuses = STATUSES + tuple(_csv(config.get("status.custom")))
        self.types = ISSUE_TYPES + tuple(_csv(config.get("types.custom")))
        self.dep_types = DEP_TYPES + tuple(_csv(config.get("dep_types.custom")))

    def status(self, value: Any) -> str:
        if value not in self.statuses:
            raise InvalidInput(f"invalid status {value!r}: use one of {', '.join(self.statuses)}")
        return str(value)

    def issue_type(self, value: Any) -> str:
        if value not in self.types:
            raise InvalidInput(f"invalid type {value!r}: use one of {', '.join(self.types)}")
        return str(value)

    def dep_type(self, value: Any) -> str:
        if value not in self.dep_types:
            raise InvalidInput(
                f"invalid dependency type {value!r}: use one of {', '.join(self.dep_types)}")
        return str(value)

    def field(self, name: str, value: Any) -> Any:
        """Validate one scalar field's value; None means "unset"."""
        if value is None:
            if name in ("title", "status", "priority", "issue_type"):
                raise InvalidInput(f"{name} cannot be cleared")
            return None
        if name == "title":
            return check_title(value)
        if name == "status":
            return self.status(value)
        if name == "issue_type":
            return self.issue_type(value)
        if name == "priority":
            return parse_priority(value)
        if name in TEXT_FIELDS:
            if not isinstance(value, str):
                raise InvalidInput(f"{name} must be text")
            return check_utf8(value, name)
        if name in TIME_FIELDS:
            if not isinstance(value, str):
                raise InvalidInput(f"{name} must be a timestamp")
            return normalize_time(value, name)
        if name == "estimated_minutes":
            if isinstance(value, bool) or not str(value).isdigit():
                raise InvalidInput(f"invalid estimate {value!r}: use whole minutes")
            return int(value)
        if name in ("ephemeral", "pinned", "close_failed"):
            if not isinstance(value, bool):
                raise InvalidInput(f"{name} must be true or false")
            return value
        if name == "metadata":
            if not isinstance(value, dict):
                raise InvalidInput("metadata must be a JSON object")
            return value
        if not EXTRA_FIELD_RE.match(name):
            raise InvalidInput(f"invalid field name {name!r}")
        if isinstance(value, str):
            check_utf8(value, name)
        return value


def _csv(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]

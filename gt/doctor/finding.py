"""A finding of `gt doctor`: a check, its subject, what is wrong, and how to repair it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Finding:
    """`ok` findings say what was checked; the others say what is wrong and the fix: a
    `repair` that `--fix` may run (returning what it did), or `advice` for a person."""

    check: str
    subject: str
    ok: bool
    message: str
    advice: str = ""
    repair: Callable[[], str] | None = field(default=None, repr=False)
    fixed: str | None = None
    fix_failed: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "subject": self.subject, "ok": self.ok,
                "message": self.message, "fix": self.advice or None,
                "fixable": self.repair is not None, "fixed": self.fixed,
                "fix_failed": self.fix_failed}


@dataclass(frozen=True)
class Options:
    """What the person asked for: `verify` runs `bd verify` on every ledger (slow)."""

    verify: bool = False
    stale_lock_seconds: float = 600.0


def ok(check: str, subject: str, message: str) -> Finding:
    return Finding(check, subject, True, message)


def problem(check: str, subject: str, message: str, advice: str,
            repair: Callable[[], str] | None = None) -> Finding:
    return Finding(check, subject, False, message, advice, repair)

"""Who is acting: the actor name and email that author ledger commits."""

from __future__ import annotations

import os
import re
from typing import Any

from beads.errors import InvalidInput
from beads.model import check_utf8

_BAD_ACTOR = re.compile(r"[\x00-\x1f\x7f-\x9f<>\u2028\u2029]")


def check_actor(actor: str) -> str:
    if not actor or not actor.strip() or len(actor) > 200 or _BAD_ACTOR.search(actor):
        raise InvalidInput(f"invalid actor {actor!r}: printable text without '<' or '>'")
    return check_utf8(actor, "the actor")


def resolve_actor(explicit: str | None, config: Any) -> tuple[str, str]:
    """--actor, else $BD_ACTOR, else git's user.name, else $USER; and an email to go with it."""
    user_name = _config_value(config, "user.name")
    user_email = _config_value(config, "user.email")
    actor = explicit or os.environ.get("BD_ACTOR") or user_name or os.environ.get("USER")
    actor = check_actor(actor or "unknown")
    if actor == user_name and user_email:
        return actor, user_email
    slug = re.sub(r"[^A-Za-z0-9._-]+", ".", actor).strip(".") or "actor"
    return actor, f"{slug}@beads.local"


def _config_value(config: Any, key: str) -> str | None:
    try:
        value = config[key]
    except (KeyError, TypeError):
        return None
    return str(value) if value else None

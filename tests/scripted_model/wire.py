"""What every API module shares: the answer it hands the server, ids, SSE framing, usage."""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass
from typing import Any

from tests.scripted_model.scenario import Reply, Turn


@dataclass(frozen=True)
class Answer:
    """A reply rendered for the wire. `kind` is "turn", or "side" for a request for JSON."""

    kind: str
    turn: Turn
    reply: Reply
    payload: bytes
    content_type: str


class Ids:
    """Unique ids (`prefix_1`, `prefix_2`, ...) for messages and tool calls, thread-safe."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def next(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}_{next(self._counter)}"


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def token_estimate(value: Any) -> int:
    """About four characters a token: enough for transcripts to carry plausible usage."""
    return max(1, len(json.dumps(value)) // 4)


def side_request_schema(body: dict[str, Any], holder: str) -> dict[str, Any] | None:
    """The JSON schema a request with no tools asks its answer to match (under
    `body[holder]["format"]`), or None for an ordinary turn."""
    if body.get("tools"):
        return None
    form = (body.get(holder) or {}).get("format") or {}
    if form.get("type") == "json_schema":
        return form.get("schema") or {}
    return None

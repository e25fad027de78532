"""The dashboard's guards: a per-town token (kept under the town's git dir, never
committed), and for a state-changing request the token, a JSON body (a cross-site form
cannot send one without a preflight) and an Origin, when sent, that is this server's own.
The Host header must name this server too, so a page on another site cannot reach it
through a name that resolves to 127.0.0.1 (DNS rebinding)."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

TOKEN_FILE = "dashboard.token"
TOKEN_HEADER = "x-gt-token"


def town_token(state_dir: Path) -> str:
    """The town's dashboard token, made (readable by its owner only) the first time."""
    path = state_dir / TOKEN_FILE
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        token = ""
    if len(token) < 32:
        token = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(token + "\n")
    return token


def allowed_hosts(bind: str, port: int) -> set[str]:
    names = {bind, "127.0.0.1", "localhost"} if bind in ("127.0.0.1", "localhost") else {bind}
    return {f"{name}:{port}" for name in names}


def refusal(method: str, headers: dict[str, str], token: str, hosts: set[str]) -> str | None:
    """Why a request must be refused, or None. Reads need a known Host; writes also the
    token, a JSON body and, when the browser sends one, a same-origin Origin."""
    if headers.get("host", "") not in hosts:
        return "unknown host"
    if method in ("GET", "HEAD"):
        return None
    origin = headers.get("origin")
    if origin is not None and origin.removeprefix("http://") not in hosts:
        return "cross-origin request"
    if not headers.get("content-type", "").startswith("application/json"):
        return "a JSON body is required"
    if not hmac.compare_digest(headers.get(TOKEN_HEADER, "").encode(), token.encode()):
        return "missing or wrong token"
    return None

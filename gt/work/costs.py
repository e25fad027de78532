"""Token usage per agent, bead and day (`gt costs`), read from the agents' own transcripts.

Claude Code: each session's transcript (its path recorded on the agent's bead when the
SessionStart hook ran `gt prime --hook`) holds assistant entries whose `message.usage` counts
one model response; Claude Code writes one entry per content block and repeats that
response's usage in each, so a response is counted once, by `message.id`. Codex: the rollout
files under the session's own CODEX_HOME (`sessions/**/rollout-*.jsonl`) hold one
`token_usage_record` per response (`payload.usage`, keyed by `payload.response_id`).

A response is charged to the bead on the agent's hook when it was made, read from the agent
bead's ledger events; once the hook is emptied (`gt done`), the rest of that session stays
charged to the last bead it held. Days are UTC dates. Tokens are split the same way for both
runtimes: `input` (not from a cache), `output`, `cache_read`, `cache_write`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from beads.errors import NotFound
from gt.agents import Address
from gt.roster import all_agents
from gt.town import Town
from gt.whoami import agent_ledger

KINDS = ("input", "output", "cache_read", "cache_write")
Hooks = list[tuple[datetime, str | None]]


@dataclass(frozen=True)
class Response:
    """One model response's usage, as a transcript records it."""

    at: datetime
    key: str
    tokens: dict[str, int]


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _entries(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSONL file; lines that are not one are skipped."""
    try:
        with path.open("rb") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict):
                    yield entry
    except OSError:
        return


def claude_responses(path: Path) -> list[Response]:
    """The responses of a Claude Code transcript, each once."""
    seen: dict[str, Response] = {}
    for entry in _entries(path):
        message = entry.get("message")
        at = _time(entry.get("timestamp"))
        if entry.get("type") != "assistant" or not isinstance(message, dict) or at is None:
            continue
        usage = message.get("usage")
        key = message.get("id") or entry.get("uuid")
        if not isinstance(usage, dict) or not isinstance(key, str) or key in seen:
            continue
        seen[key] = Response(at, key, {
            "input": _count(usage.get("input_tokens")),
            "output": _count(usage.get("output_tokens")),
            "cache_read": _count(usage.get("cache_read_input_tokens")),
            "cache_write": _count(usage.get("cache_creation_input_tokens"))})
    return list(seen.values())


def codex_responses(path: Path) -> list[Response]:
    """The responses of a Codex rollout file, each once (its input counts cached tokens
    too: they are moved to cache_read)."""
    seen: dict[str, Response] = {}
    for entry in _entries(path):
        payload = entry.get("payload")
        at = _time(entry.get("timestamp"))
        if entry.get("type") != "token_usage_record" or not isinstance(payload, dict) \
                or at is None:
            continue
        usage = payload.get("usage")
        key = payload.get("response_id")
        if not isinstance(usage, dict) or not isinstance(key, str) or key in seen:
            continue
        cached = _count(usage.get("cached_input_tokens"))
        seen[key] = Response(at, key, {
            "input": max(0, _count(usage.get("input_tokens")) - cached),
            "output": _count(usage.get("output_tokens")),
            "cache_read": cached,
            "cache_write": _count(usage.get("cache_write_input_tokens"))})
    return list(seen.values())


def _history(town: Town, address: Address) -> tuple[Hooks, list[str]]:
    """The agent's hook over time and the Claude Code transcripts its sessions recorded."""
    ledger = agent_ledger(town, address)
    try:
        events = ledger.history(address.bead_id(ledger.prefix))
    except NotFound:
        return [], []
    hooks: Hooks = []
    transcripts: list[str] = []
    for event in events:
        data = event.get("data") or {}
        fields = data.get("set") if event["op"] == "update" else \
            data.get("fields") if event["op"] == "create" else None
        at = _time(event.get("ts"))
        if not isinstance(fields, dict) or at is None:
            continue
        if "hook_bead" in fields:
            bead = fields["hook_bead"]
            hooks.append((at, bead if isinstance(bead, str) and bead else None))
        session = fields.get("runtime_session")  # recorded at session start (gt.seance)
        path = session.get("transcript") if isinstance(session, dict) else None
        if isinstance(path, str) and path and path not in transcripts:
            transcripts.append(path)
    hooks.sort(key=lambda item: item[0])
    return hooks, transcripts


def charged_bead(hooks: Hooks, start: datetime, at: datetime) -> str | None:
    """The bead a response made at `at`, in a session begun at `start`, is charged to: the
    one on the hook then, else the last one the session held."""
    held: str | None = None
    since: list[str | None] = []
    for when, bead in hooks:
        if when > at:
            break
        if when <= start:
            held = bead
        else:
            since.append(bead)
    return next((bead for bead in reversed([held, *since]) if bead), None)


def codex_rollouts(town: Town, address: Address) -> list[Path]:
    home = town.state_dir / "runtime" / f"{address.session}.codex" / "sessions"
    return sorted(home.rglob("rollout-*.jsonl")) if home.is_dir() else []


def _add(into: dict[str, dict[str, Any]], key: str, response: Response,
         extra: dict[str, Any]) -> None:
    row = into.setdefault(key, {**extra, **dict.fromkeys(KINDS, 0), "total": 0,
                                "responses": 0})
    for kind in KINDS:
        row[kind] += response.tokens[kind]
        row["total"] += response.tokens[kind]
    row["responses"] += 1


def costs(town: Town, agent: str | None = None, day: str | None = None) -> dict[str, Any]:
    """Token usage summed per agent, per bead and per day, and the transcripts read."""
    only = str(Address.parse(agent)) if agent else None
    by_agent: dict[str, dict[str, Any]] = {}
    by_bead: dict[str, dict[str, Any]] = {}
    by_day: dict[str, dict[str, Any]] = {}
    total: dict[str, dict[str, Any]] = {}
    read: list[dict[str, Any]] = []
    for item in all_agents(town):
        if only is not None and item["agent"] != only:
            continue
        address = Address.parse(item["agent"])
        hooks, transcripts = _history(town, address)
        sources = [("claude", Path(p), claude_responses) for p in transcripts] + \
                  [("codex", p, codex_responses) for p in codex_rollouts(town, address)]
        for runtime, path, reader in sources:
            responses = reader(path) if path.is_file() else []
            read.append({"agent": item["agent"], "runtime": runtime, "path": str(path),
                         "found": path.is_file(), "responses": len(responses)})
            if not responses:
                continue
            start = min(r.at for r in responses)
            for response in responses:
                date = response.at.astimezone(UTC).date().isoformat()
                if day is not None and date != day:
                    continue
                bead = charged_bead(hooks, start, response.at)
                _add(by_agent, item["agent"], response, {"agent": item["agent"]})
                _add(by_bead, bead or "", response, {"bead": bead})
                _add(by_day, date, response, {"day": date})
                _add(total, "", response, {})
    empty = {**dict.fromkeys(KINDS, 0), "total": 0, "responses": 0}
    return {"total": total.get("", empty),
            "agents": [by_agent[k] for k in sorted(by_agent)],
            "beads": [by_bead[k] for k in sorted(by_bead)],
            "days": [by_day[k] for k in sorted(by_day)],
            "transcripts": read}

"""Scenarios: which reply the scripted model gives to which conversation, whatever the API.

Each API module reduces a request to a `Turn` (the latest prompt a person typed, the hook texts
the model was shown, how many replies the model already gave since that prompt) and renders
the `Reply` a `Scenario` picks for it. The choice depends on the conversation alone, never on
earlier requests, so a resent request gets the same reply and tests stay deterministic.

A rule matches when every pattern it has is found (`re.search`): `prompt` in the latest
prompt, `system` in any hook text. Its `steps` are the replies in order: the first answers the
prompt, the next one answers the results of the tool calls the first asked for, and so on;
once they are used up, the rule's `done` text closes the turn.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TEXT = "OK."


@dataclass(frozen=True)
class Turn:
    """What a reply depends on, read from one request."""

    prompt: str
    system: tuple[str, ...] = ()
    step: int = 0


@dataclass(frozen=True)
class Reply:
    """What the model says: some text, then shell commands to run (each its own tool call)."""

    text: str = ""
    commands: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """Replies to a conversation whose prompt and hook texts match the patterns."""

    steps: tuple[Reply, ...]
    prompt: str | None = None
    system: str | None = None
    done: str = DEFAULT_TEXT

    def matches(self, turn: Turn) -> bool:
        if self.prompt is not None and not re.search(self.prompt, turn.prompt):
            return False
        return self.system is None or any(re.search(self.system, s) for s in turn.system)

    def reply(self, turn: Turn) -> Reply:
        return self.steps[turn.step] if turn.step < len(self.steps) else Reply(self.done)


@dataclass
class Scenario:
    """An ordered list of rules; the first that matches replies, else a short default text."""

    rules: list[Rule] = field(default_factory=list)
    default: str = DEFAULT_TEXT

    def reply(self, turn: Turn) -> Reply:
        for rule in self.rules:
            if rule.matches(turn):
                return rule.reply(turn)
        return Reply(self.default)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Scenario:
        """Build from plain data, e.g. `{"rules": [{"prompt": "make", "steps": [...]}]}`.

        A step is `{"text": "...", "commands": ["..."]}` (both optional) or a bare string.
        """
        rules = [Rule(steps=tuple(_step(s) for s in rule.get("steps", [])),
                      prompt=rule.get("prompt"), system=rule.get("system"),
                      done=rule.get("done", DEFAULT_TEXT))
                 for rule in data.get("rules", [])]
        return cls(rules, data.get("default", DEFAULT_TEXT))

    @classmethod
    def load(cls, path: Path) -> Scenario:
        return cls.from_data(json.loads(path.read_text()))


def _step(data: str | dict[str, Any]) -> Reply:
    if isinstance(data, str):
        return Reply(data)
    return Reply(data.get("text", ""), tuple(data.get("commands", ())))


def sample_json(schema: dict[str, Any]) -> Any:
    """A value of the shape a JSON schema asks for: what a side request for JSON gets back."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return sample_json(schema[key][0])
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: sample_json(sub) for name, sub in properties.items()}
    if kind == "array":
        count = schema.get("minItems", 0)
        return [sample_json(schema.get("items", {})) for _ in range(count)]
    return {"string": "Scripted", "integer": 0, "number": 0, "boolean": False,
            "null": None}.get(kind, "Scripted")

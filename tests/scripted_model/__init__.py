"""A scripted model server for tests: real coding agents run offline against it.

It speaks the Anthropic Messages API (Claude Code) and the OpenAI Responses API (Codex) on
127.0.0.1, replies as a `Scenario` says, and logs every request. Standard library only.
"""

from tests.scripted_model.scenario import Reply, Rule, Scenario, Turn
from tests.scripted_model.server import Logged, ScriptedModel

__all__ = ["Logged", "Reply", "Rule", "Scenario", "ScriptedModel", "Turn"]

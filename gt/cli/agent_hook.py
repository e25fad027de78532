"""`gt agent-hook stop|turn-end|pre-tool|deliver`: what a runtime's hooks call.

`stop` is Claude Code's Stop hook (JSON on stdin; a reminder is printed as its blocking
decision), `turn-end` Codex's `notify` program (the JSON payload as its last argument),
`pre-tool` Claude Code's PreToolUse hook (a refusal is printed as its deny decision), and
`deliver` types an agent's next queued nudge once it shows idle.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from gt.agents import Address
from gt.cli.common import ctx, handles_errors
from gt.launch import deliver_soon
from gt.seance import hook_input
from gt.whoami import current_agent
from gt.work import agent_hooks
from gt.work.nudge import deliver_next, enqueue

IDLE_WAIT = 30.0


@click.group("agent-hook", hidden=True)
def agent_hook() -> None:
    """Called by a runtime's hooks (Claude Code's settings, Codex's notify)."""


@agent_hook.command("stop")
@handles_errors
def stop() -> None:
    """The end of a Claude Code turn: deliver queued nudges, remind of hooked work once."""
    town = ctx().town()
    agent = current_agent(town)
    if agent is None:
        return
    payload = hook_input(sys.stdin)
    outcome = agent_hooks.turn_ended(town, agent, bool(payload.get("stop_hook_active")))
    if outcome["deliver"]:
        deliver_soon(town, agent)
    if outcome["remind"]:
        click.echo(json.dumps({"decision": "block", "reason": outcome["remind"]}))


@agent_hook.command("turn-end")
@click.argument("payload", required=False)
@handles_errors
def turn_end(payload: str | None) -> None:
    """The end of a Codex turn (`notify`): the same as `stop`, the reminder typed."""
    town = ctx().town()
    agent = current_agent(town)
    if agent is None:
        return
    outcome = agent_hooks.turn_ended(town, agent)
    if outcome["remind"]:
        enqueue(town, agent, outcome["remind"], "gt", typed=True)
    if outcome["deliver"] or outcome["remind"]:
        deliver_soon(town, agent)


@agent_hook.command("pre-tool")
@handles_errors
def pre_tool() -> None:
    """Before a Claude Code tool call: refuse what a polecat may not do."""
    town = ctx().town()
    agent = current_agent(town)
    payload = hook_input(sys.stdin)
    tool_input = payload.get("tool_input") or {}
    if agent is None or not isinstance(tool_input, dict):
        return
    reason = agent_hooks.guard(town, agent, str(payload.get("tool_name", "")),
                               str(tool_input.get("command", "")),
                               Path(str(payload.get("cwd") or Path.cwd())))
    if reason:
        click.echo(json.dumps({"hookSpecificOutput": {
            "hookEventName": "PreToolUse", "permissionDecision": "deny",
            "permissionDecisionReason": reason}}))


@agent_hook.command("deliver")
@click.argument("address")
@handles_errors
def deliver(address: str) -> None:
    """Type ADDRESS's next queued nudge once its screen shows it idle."""
    town = ctx().town()
    agent = Address.parse(address)
    sessions = town.backend()
    deadline = time.monotonic() + IDLE_WAIT
    while time.monotonic() < deadline:
        state = sessions.screen_state(agent.session)
        if state is None:
            return
        if state == "idle" and deliver_next(town, agent) != "busy":
            return
        time.sleep(0.05)


def register(group: click.Group) -> None:
    group.add_command(agent_hook)

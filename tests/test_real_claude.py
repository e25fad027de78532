"""The real Claude Code CLI, in tmux, offline against the scripted model server.

Claude Code (npm's `@anthropic-ai/claude-code`, 2.1) gets a configuration directory of its
own in which its first run is done and the work directory is trusted, and the environment
that points it at the scripted model on 127.0.0.1 and keeps it from reaching anything else.
A person's way of working it is then checked end to end: its SessionStart hook's output
reaches the model, a typed prompt reaches the model once, and the Bash tool call the model
answers with runs in the work directory.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.real_agents import CLAUDE_PACKAGE, Pane, npm_tool
from tests.scripted_model import Reply, Rule, Scenario, ScriptedModel

# What the TUI shows (Claude Code 2.1.197): the input box is a `❯` line between two rules of
# `─`; while a turn runs the status line under it says "esc to interrupt".
READY = r"^─{20,}\n❯.*\n─{20,}$"
BUSY = r"esc to interrupt"
START_SECONDS = 30
TURN_SECONDS = 20
# Shell metacharacters and quotes in a prompt are text to the agent, never a command.
PROMPT = """please make the marker file; $(touch pwned) `touch pwned` "quoted" 'single'"""


@pytest.fixture(scope="module")
def claude() -> Path:
    return npm_tool(CLAUDE_PACKAGE, "claude")


def claude_env(model: ScriptedModel, home: Path, config: Path) -> dict[str, str]:
    """The environment of an unattended Claude Code session using the scripted model."""
    env = {name: os.environ[name] for name in ("PATH", "LANG", "TERM") if name in os.environ}
    env.update({
        "HOME": str(home),
        "CLAUDE_CONFIG_DIR": str(config),
        "ANTHROPIC_BASE_URL": model.url,
        # A token, not ANTHROPIC_API_KEY: a key would be asked about ("use it?", default No).
        "ANTHROPIC_AUTH_TOKEN": "scripted-model-token",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL": "1",
    })
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env["IS_SANDBOX"] = "1"  # else root may not skip permissions
    return env


def write_config(config: Path, work: Path) -> None:
    """First run done, the work directory trusted, the bypass warning already accepted."""
    config.mkdir(parents=True)
    state = {"hasCompletedOnboarding": True,
             "projects": {str(work): {"hasTrustDialogAccepted": True}}}
    (config / ".claude.json").write_text(json.dumps(state))
    (config / "settings.json").write_text(json.dumps({"skipDangerousModePermissionPrompt": True}))


def write_project_hook(work: Path, command: str) -> None:
    (work / ".claude").mkdir(parents=True)
    hooks = {"SessionStart": [{"hooks": [{"type": "command", "command": command}]}]}
    (work / ".claude" / "settings.json").write_text(json.dumps({"hooks": hooks}))


def test_a_typed_prompt_runs_the_scripted_bash_call_and_the_model_sees_the_hook(
        tmp_path: Path, claude: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    config = tmp_path / "claude-config"
    write_config(config, work)
    write_project_hook(work, "echo HOOK-MARKER")
    scenario = Scenario([Rule(prompt=r"^please make the marker file",
                              steps=(Reply("Making it.", ("printf made > marker.txt",)),),
                              done="The marker file is made.")])

    with ScriptedModel(scenario) as model, Pane(
            [str(claude), "--dangerously-skip-permissions"], work,
            claude_env(model, tmp_path / "home", config)) as pane:
        pane.wait_for(READY, START_SECONDS)
        pane.submit(PROMPT, lambda: bool(model.turns()), TURN_SECONDS)

        first = model.turns()[0]
        assert (first.prompt, first.step) == (PROMPT, 0)
        assert any(s.startswith("SessionStart:startup hook success: HOOK-MARKER")
                   for s in first.system), first.system
        assert first.commands == ("printf made > marker.txt",)

        after = model.wait_for(lambda r: r.kind == "turn" and r.step == 1, TURN_SECONDS)
        assert after is not None, "the tool result never reached the model:\n" + pane.screen()
        results = [block for block in after.body["messages"][-1]["content"]
                   if block.get("type") == "tool_result"]
        assert [r["is_error"] for r in results] == [False]
        screen = pane.wait_for(r"The marker file is made\.", TURN_SECONDS, absent=BUSY)
        assert "Bash(printf made > marker.txt)" in screen

    assert (work / "marker.txt").read_text() == "made"
    assert not (work / "pwned").exists()
    assert model.prompts() == [PROMPT]
    transcripts = list((config / "projects").glob("*/*.jsonl"))
    assert len(transcripts) == 1
    entries = [json.loads(line) for line in transcripts[0].read_text().splitlines()]
    usage = [e["message"]["usage"] for e in entries if e.get("type") == "assistant"]
    assert usage and all(u["input_tokens"] > 0 and u["output_tokens"] > 0 for u in usage)

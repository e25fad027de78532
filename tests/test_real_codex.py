"""The real Codex CLI, in tmux and as `codex exec`, offline against the scripted model server.

Codex (npm's `@openai/codex`, 0.171) gets a `CODEX_HOME` of its own whose `config.toml` points
it at the Responses API of the scripted model on 127.0.0.1, trusts the work directory, never
asks for approval, and keeps it from starting its background app-server daemon (which would
outlive the session) or reaching anything else. A typed prompt must reach the model once, the
`exec_command` call the model answers with must run in the work directory, and the `notify`
program must get the end of the turn.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.real_agents import CODEX_PACKAGE, Pane, npm_tool
from tests.scripted_model import Reply, Rule, Scenario, ScriptedModel

# What the TUI shows (Codex 0.171.0): the composer is a `›` line; the session is configured
# once the header says which permissions it runs with; while a turn runs the line above the
# composer says "Working (Ns • esc to interrupt)".
READY = r"^  permissions: YOLO mode$(.|\n)*^› "
BUSY = r"esc to interrupt"
START_SECONDS = 30
TURN_SECONDS = 20
EXEC_SECONDS = 60  # `codex exec` retries forever when the model cannot be reached: bound it
KEY_ENV = "SCRIPTED_MODEL_KEY"
PROMPT = """please make the marker file; $(touch pwned) `touch pwned` "quoted" 'single'"""
NOTIFY = "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + '\\n')"


@pytest.fixture(scope="module")
def codex() -> Path:
    return npm_tool(CODEX_PACKAGE, "codex")


def toml(value: object) -> str:
    """A TOML value: JSON's strings, numbers, booleans and arrays of them are TOML too."""
    return json.dumps(value)


def write_config(codex_home: Path, model: ScriptedModel, work: Path, notify_log: Path) -> None:
    """A per-session `config.toml` (Codex rewrites parts of it while it runs)."""
    codex_home.mkdir(parents=True)
    notify = [sys.executable, "-c", NOTIFY, str(notify_log)]
    (codex_home / "config.toml").write_text(f"""\
model = "scripted"
model_provider = "local"
approval_policy = "never"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false
notify = {toml(notify)}

[model_providers.local]
name = "local"
base_url = {toml(model.url + "/v1")}
wire_api = "responses"
env_key = {toml(KEY_ENV)}
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[features]
daemon_auto_start = false

[tui]
disable_paste_burst = true

[projects.{toml(str(work))}]
trust_level = "trusted"
""")


def codex_env(home: Path, codex_home: Path) -> dict[str, str]:
    env = {name: os.environ[name] for name in ("PATH", "LANG", "TERM") if name in os.environ}
    env.update({"HOME": str(home), "CODEX_HOME": str(codex_home), KEY_ENV: "scripted"})
    return env


def marker_scenario() -> Scenario:
    return Scenario([Rule(prompt=r"^please make the marker file",
                          steps=(Reply("", ("printf made > marker.txt",)),),
                          done="The marker file is made.")])


def notified(notify_log: Path, prompt: str, timeout: float) -> list[dict[str, object]]:
    """What `notify` got, once it has got the end of the turn of `prompt` (it runs after the
    turn is shown as done)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = notify_log.read_text().splitlines() if notify_log.exists() else []
        ends = [json.loads(line) for line in lines]
        if any(e["input-messages"] == [prompt] for e in ends) or time.monotonic() > deadline:
            return ends
        time.sleep(0.05)


def test_a_typed_prompt_runs_the_scripted_command_and_ends_with_notify(
        tmp_path: Path, codex: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    codex_home, notify_log = tmp_path / "codex-home", tmp_path / "notify.jsonl"

    with ScriptedModel(marker_scenario()) as model:
        write_config(codex_home, model, work, notify_log)
        with Pane([str(codex)], work, codex_env(tmp_path / "home", codex_home)) as pane:
            pane.wait_for(READY, START_SECONDS)
            pane.submit(PROMPT, lambda: bool(model.turns()), TURN_SECONDS)

            first = model.turns()[0]
            assert (first.prompt, first.step) == (PROMPT, 0)
            assert first.commands == ("printf made > marker.txt",)
            after = model.wait_for(lambda r: r.kind == "turn" and r.step == 1, TURN_SECONDS)
            assert after is not None, "the command's output never reached the model:\n" \
                + pane.screen()
            outputs = [i["output"] for i in after.body["input"]
                       if i.get("type") == "function_call_output"]
            assert len(outputs) == 1 and "exited with code 0" in outputs[0]
            screen = pane.wait_for(r"The marker file is made\.", TURN_SECONDS, absent=BUSY)
            assert "Ran printf made > marker.txt" in screen
            ends = notified(notify_log, PROMPT, TURN_SECONDS)

    assert (work / "marker.txt").read_text() == "made"
    assert not (work / "pwned").exists()
    assert model.prompts() == [PROMPT]
    # `notify` also runs after the side turn in which Codex asks for the session's title,
    # under a thread id of its own.
    assert {e["type"] for e in ends} == {"agent-turn-complete"}
    [turn_end] = [e for e in ends if e["input-messages"] == [PROMPT]]
    assert turn_end["last-assistant-message"] == "The marker file is made."
    assert [e["last-assistant-message"] for e in ends if e is not turn_end] \
        == [r.text for r in model.requests if r.kind == "side"]


def test_codex_exec_runs_the_scripted_command_and_exits(tmp_path: Path, codex: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    codex_home, notify_log = tmp_path / "codex-home", tmp_path / "notify.jsonl"

    with ScriptedModel(marker_scenario()) as model:
        write_config(codex_home, model, work, notify_log)
        result = subprocess.run(
            [str(codex), "exec", "--skip-git-repo-check", PROMPT], cwd=work,
            env=codex_env(tmp_path / "home", codex_home), capture_output=True, text=True,
            timeout=EXEC_SECONDS, stdin=subprocess.DEVNULL)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "The marker file is made."
    assert (work / "marker.txt").read_text() == "made"
    assert [(r.prompt, r.step) for r in model.turns()] == [(PROMPT, 0), (PROMPT, 1)]

"""The `claude` preset against the real Claude Code CLI (npm's `@anthropic-ai/claude-code`).

The set-up installs Claude Code with npm into a cache directory outside the repository that
later runs reuse; with no npm, these tests are skipped. Nothing here logs in: Claude Code runs
its SessionStart hook before it asks for a login, so a session started by the preset runs
`gt prime --hook` as its agent even on a machine with no account.

The private HOME that every test gets stands for a machine where Claude Code has been run once
(its first-run screens are done) and nothing more: no login, no folder trusted by hand. The
preset itself must keep the session from stopping on a question nobody is there to answer.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gt.agents import Address
from tests.gt_helpers import bd, gt

PACKAGE = "@anthropic-ai/claude-code"
# Computed at import, before the suite's fixtures point HOME at a private directory.
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") \
    / "gastown-tests" / "claude-code"
# Whatever could log Claude Code in, or point it at another configuration, stays out.
LOGIN_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN",
             "CLAUDE_CONFIG_DIR", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX")
HOOK_SECONDS = 60
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

pytestmark = [
    pytest.mark.skipif(shutil.which("npm") is None,
                       reason=f"npm is not installed, so {PACKAGE} cannot be installed"),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def _version(claude: Path) -> str | None:
    try:
        result = subprocess.run([str(claude), "--version"], capture_output=True, text=True,
                                timeout=60, stdin=subprocess.DEVNULL)
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


@pytest.fixture(scope="session")
def claude_bin() -> Path:
    """The directory of an installed `claude`: npm's, into the cache (once per machine)."""
    prefix = CACHE / "npm"
    claude = prefix / "node_modules" / ".bin" / "claude"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _version(claude) is None:
            result = subprocess.run(
                ["npm", "install", "--prefix", str(prefix), "--cache", str(CACHE / "npm-cache"),
                 "--no-audit", "--no-fund", "--no-update-notifier", "--loglevel", "error",
                 PACKAGE],
                capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
            if result.returncode != 0:
                reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
                pytest.skip(f"npm could not install {PACKAGE}: {reason}")
            # Its postinstall puts the native binary in place; run it if npm did not.
            if _version(claude) is None:
                subprocess.run(["node", "install.cjs"], cwd=prefix / "node_modules" / PACKAGE,
                               capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
            shutil.rmtree(CACHE / "npm-cache", ignore_errors=True)
        if _version(claude) is None:
            pytest.fail(f"{PACKAGE} was installed but `claude --version` does not run")
    return claude.parent


@pytest.fixture
def claude_env(claude_bin: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Claude Code first on PATH, never logged in, not updating itself, first run done."""
    for name in (*LOGIN_ENV, "IS_SANDBOX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISABLE_AUTOUPDATER", "1")
    monkeypatch.setenv("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
    home = Path(os.environ["HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / ".claude.json").write_text(json.dumps({"hasCompletedOnboarding": True}) + "\n")
    return {"PATH": str(claude_bin) + os.pathsep + os.environ["PATH"]}


def _socket(root: Path) -> str:
    code = "import sys; from gt.town import Town; print(Town.find().socket)"
    return subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                          text=True, check=True).stdout.strip()


def _sessions(socket: str) -> list[str]:
    result = subprocess.run(["tmux", "-L", socket, "list-sessions", "-F", "#{session_name}"],
                            capture_output=True, text=True, check=False)
    return result.stdout.split() if result.returncode == 0 else []


@pytest.fixture
def town(tmp_path: Path, claude_env: dict[str, str]) -> Iterator[Path]:
    """A town whose tmux server is killed at the end, whatever happened."""
    root = tmp_path / "town"
    gt(tmp_path, "install", str(root), env=claude_env)
    socket = _socket(root)
    try:
        yield root
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)


def _started_events(root: Path) -> list[dict[str, Any]]:
    history = json.loads(bd(root, "history", "hq-mayor", "--json").stdout)
    return [event for event in history if event["summary"] == "mayor session started"]


def test_session_start_hook_primes_the_agent_without_a_login(
        town: Path, claude_env: dict[str, str]) -> None:
    if IS_ROOT:
        gt(town, "config", "set", "runtimes.claude.is_sandbox", "true", env=claude_env)
    # Another state than the one `gt prime --hook` sets, so that the hook leaves a trace.
    bd(town, "--actor", "overseer", "update", "hq-mayor", "--set", "agent_state=stopped")
    socket = _socket(town)

    result = gt(town, "mayor", "start", "--agent", "claude", env=claude_env)
    assert result.stdout.strip() == "mayor started (claude)"
    assert _sessions(socket) == [Address("mayor").session]

    settings_path = town / ".git" / "gt" / "runtime" / f"{Address('mayor').session}.json"
    hooks = json.loads(settings_path.read_text())["hooks"]
    commands = {event: [h["command"] for entry in hooks[event] for h in entry["hooks"]]
                for event in hooks}
    assert set(commands) == {"SessionStart", "PreCompact", "UserPromptSubmit", "Stop",
                             "PreToolUse"}
    assert [c.endswith(" agent-hook stop") for c in commands["Stop"]] == [True]
    assert [c.endswith(" agent-hook pre-tool") for c in commands["PreToolUse"]] == [True]
    assert [c.endswith(" prime --hook") for c in commands["SessionStart"]] == [True]
    assert [c.endswith(" prime") for c in commands["PreCompact"]] == [True]
    assert [c.endswith(" mail check --inject") for c in commands["UserPromptSubmit"]] == [True]

    deadline = time.monotonic() + HOOK_SECONDS
    while not _started_events(town) and time.monotonic() < deadline:
        assert _sessions(socket), "the session ended:\n" + gt(town, "peek", "mayor").stdout
        time.sleep(0.5)
    events = _started_events(town)
    assert events, (f"no `gt prime --hook` within {HOOK_SECONDS} s; the session shows:\n"
                    + gt(town, "peek", "mayor", check=False).stdout)
    assert len(events) == 1
    assert events[0]["actor"] == "mayor" and events[0]["author"] == "mayor"
    recorded = events[0]["data"]["set"]
    assert recorded["agent_state"] == "idle"
    # The runtime's session id and transcript, from the SessionStart hook's input.
    session = recorded["runtime_session"]
    assert session["id"] and session["runtime"] == "claude"
    assert session["transcript"].endswith(session["id"] + ".jsonl")
    shown = json.loads(bd(town, "show", "hq-mayor", "--json").stdout)
    assert shown["agent_state"] == "idle"

    assert gt(town, "mayor", "stop", env=claude_env).stdout.strip() == "mayor stopped"
    assert _sessions(socket) == []


@pytest.mark.skipif(not IS_ROOT, reason="Claude Code refuses bypass mode only to root")
def test_root_without_the_opt_in_is_refused_with_the_way_to_opt_in(
        town: Path, claude_env: dict[str, str]) -> None:
    result = gt(town, "mayor", "start", "--agent", "claude", env=claude_env, check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "gt config set runtimes.claude.is_sandbox true" in lines[0]
    assert _sessions(_socket(town)) == []
    assert not _started_events(town)

"""Claude Code set up for an unattended session: its config, its settings file, its environment.

Config (`.claude.json` in the config directory: `$CLAUDE_CONFIG_DIR`, which Claude Code reads
instead of `~/.claude.json` when set): first run done, the work directory trusted, and, when an
API key is handed over, that key approved (Claude Code remembers approved keys by their last
20 characters; an unapproved key is asked about, defaulting to No). Settings file (passed with
`--settings`): the bypass-mode warning skipped and the hooks that tie the session to gt.
Environment: another model endpoint and its credentials when the town points the runtime at
one (`[runtimes.claude]` base_url, model, auth_token_env, api_key_env), the switches that stop
non-essential traffic when the town is `offline`, and IS_SANDBOX as root when opted in.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gt.settings import RuntimeSettings

OFFLINE_ENV = {"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_TELEMETRY": "1",
               "DISABLE_AUTOUPDATER": "1",
               "CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL": "1"}
KEY_SUFFIX = 20


def config_dir(options: RuntimeSettings, state_dir: Path | None, session: str) -> Path | None:
    """Where this session's Claude Code keeps its config; None: the user's own."""
    if options.config_dir in ("town", "agent") and state_dir is not None:
        base = state_dir / "claude"
        return base if options.config_dir == "town" else base / session
    if options.config_dir not in ("", "town", "agent"):
        return Path(options.config_dir)
    env = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(env) if env else None


def config_file(directory: Path | None) -> Path:
    return directory / ".claude.json" if directory else Path.home() / ".claude.json"


def prepare_config(directory: Path | None, folder: Path, api_key: str | None) -> None:
    """Onboarding done, `folder` trusted, `api_key` approved: merged into the config file,
    written atomically (nothing else in it is touched)."""
    path = config_file(directory)
    try:
        data = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        return  # a config we cannot read is left as it is: never clobbered
    if not isinstance(data, dict):
        return
    before = json.dumps(data, sort_keys=True)
    data["hasCompletedOnboarding"] = True
    projects = data.setdefault("projects", {})
    projects.setdefault(str(folder.resolve()), {})["hasTrustDialogAccepted"] = True
    if api_key:
        responses = data.setdefault("customApiKeyResponses", {})
        approved = responses.setdefault("approved", [])
        if api_key[-KEY_SUFFIX:] not in approved:
            approved.append(api_key[-KEY_SUFFIX:])
        rejected = responses.get("rejected", [])
        if api_key[-KEY_SUFFIX:] in rejected:
            rejected.remove(api_key[-KEY_SUFFIX:])
    if json.dumps(data, sort_keys=True) == before:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
    os.replace(tmp, path)


def settings(gt: str) -> dict[str, Any]:
    """The settings file: bypass warning skipped, and the hooks, each running `gt`:
    SessionStart primes (and records the session), PreCompact primes again, UserPromptSubmit
    hands over mail and nudges, Stop reminds of hooked work, PreToolUse guards polecats."""

    def running(command: str, matcher: str | None = None) -> list[dict[str, Any]]:
        entry: dict[str, Any] = {"hooks": [{"type": "command", "command": command}]}
        if matcher is not None:
            entry["matcher"] = matcher
        return [entry]

    return {"skipDangerousModePermissionPrompt": True,
            "hooks": {"SessionStart": running(f"{gt} prime --hook"),
                      "PreCompact": running(f"{gt} prime"),
                      "UserPromptSubmit": running(f"{gt} mail check --inject"),
                      "Stop": running(f"{gt} agent-hook stop"),
                      "PreToolUse": running(f"{gt} agent-hook pre-tool", "Bash")}}


def environment(options: RuntimeSettings, directory: Path | None,
                source: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """The session's extra environment, and the API key handed over (to approve), read from
    the variables the town's settings name in `source` (the starting process's environment)."""
    env: dict[str, str] = {}
    if directory is not None:
        env["CLAUDE_CONFIG_DIR"] = str(directory)
    if options.offline:
        env.update(OFFLINE_ENV)
    if options.base_url:
        env["ANTHROPIC_BASE_URL"] = options.base_url
    if options.model:
        env["ANTHROPIC_MODEL"] = options.model
    if options.auth_token_env and source.get(options.auth_token_env):
        env["ANTHROPIC_AUTH_TOKEN"] = source[options.auth_token_env]
    api_key = source.get(options.api_key_env) if options.api_key_env else None
    if api_key:
        env["ANTHROPIC_API_KEY"] = api_key
    return env, api_key

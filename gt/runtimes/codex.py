"""Codex set up for an unattended session: a `CODEX_HOME` of its own with a generated
`config.toml` (Codex rewrites parts of that file while it runs, so each session gets its own).

The config never asks for approval, runs without a sandbox, trusts the work directory (the
bypass flag does not skip that question), runs commands in no login shell (a login shell
resets PATH, losing gt), checks for no update, sends no analytics, keeps
its background daemon from starting (it would outlive the session), takes an Enter right
after typed text as a submission (`disable_paste_burst`), and runs gt after every turn
(`notify`). With `[runtimes.codex] base_url`, a provider `local` speaks the Responses API to
that endpoint with no retries (Codex retries forever when it cannot reach the model). The
user's login (`auth.json` in their own CODEX_HOME) is linked in when there is one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gt import tomlfile
from gt.settings import RuntimeSettings


def user_home() -> Path:
    return Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex")


def config(options: RuntimeSettings, folder: Path, notify: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "approval_policy": "never", "sandbox_mode": "danger-full-access",
        "check_for_update_on_startup": False, "notify": notify,
        # A login shell would reset PATH from the system's profile, losing gt's directory.
        "allow_login_shell": False,
        "analytics": {"enabled": False}, "features": {"daemon_auto_start": False},
        "tui": {"disable_paste_burst": True},
        "projects": {str(folder.resolve()): {"trust_level": "trusted"}}}
    if options.model:
        data["model"] = options.model
    if options.base_url:
        provider: dict[str, Any] = {"name": "local", "base_url": options.base_url,
                                    "wire_api": "responses", "request_max_retries": 0,
                                    "stream_max_retries": 0}
        if options.api_key_env:
            provider["env_key"] = options.api_key_env
        data["model_provider"] = "local"
        data["model_providers"] = {"local": provider}
    return data


def prepare_home(home: Path, options: RuntimeSettings, folder: Path,
                 notify: list[str]) -> dict[str, str]:
    """Write the session's CODEX_HOME; returns the session's extra environment."""
    home.mkdir(parents=True, exist_ok=True)
    tomlfile.save(home / "config.toml", config(options, folder, notify))
    login = user_home() / "auth.json"
    link = home / "auth.json"
    if login.is_file() and not link.exists():
        link.symlink_to(login)
    env = {"CODEX_HOME": str(home)}
    if options.api_key_env and os.environ.get(options.api_key_env):
        env[options.api_key_env] = os.environ[options.api_key_env]
    return env

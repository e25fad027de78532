"""Runtime presets as data, custom runtimes from town.toml, and the argv that starts a session.

A preset says which command starts the agent, how its first prompt (the beacon) is handed
over, how it resumes, and how to read its screen (`screens`). Claude Code also gets a
settings file whose hooks run gt and a config made ready for an unattended session
(`claude`); Codex gets a CODEX_HOME of its own per session (`codex`).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gt.errors import GtError
from gt.runtimes import claude, codex
from gt.runtimes.screens import CLAUDE, CODEX, Screen
from gt.settings import RuntimeSettings, TownSettings


@dataclass(frozen=True)
class Runtime:
    name: str
    command: tuple[str, ...]
    # How the beacon is passed: "arg" (last argument), "flag:<flag>" (flag then text),
    # or "none" (the agent finds its work through `gt prime` alone).
    prompt: str = "arg"
    resume: tuple[str, ...] = ()
    # How to ask a past session one question and print the answer (`gt seance --ask`): an
    # argv whose items may hold {session} (the runtime's session id) and {question}.
    ask: tuple[str, ...] = ()
    # Claude Code: a settings file whose session callbacks (Claude Code's "hooks") run gt.
    claude_settings_file: bool = False
    description: str = ""
    env: dict[str, str] = field(default_factory=dict)
    screen: Screen | None = None  # how to tell ready, busy and idle from its pane
    codex_home: bool = False  # Codex: a generated CODEX_HOME per session

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "command": list(self.command), "prompt": self.prompt,
                "resume": list(self.resume), "ask": list(self.ask),
                "description": self.description}


PRESETS: dict[str, Runtime] = {r.name: r for r in (
    Runtime("claude", ("claude", "--dangerously-skip-permissions"), "arg", ("--continue",),
            ask=("claude", "--resume", "{session}", "-p", "{question}"),
            claude_settings_file=True, description="Claude Code", screen=CLAUDE),
    Runtime("codex", ("codex", "--dangerously-bypass-approvals-and-sandbox"), "arg",
            ("resume", "--last"), ask=("codex", "exec", "resume", "{session}", "{question}"),
            description="OpenAI Codex CLI", screen=CODEX, codex_home=True),
    Runtime("gemini", ("gemini", "--approval-mode", "yolo"), "flag:--prompt-interactive",
            ("--resume", "latest"), description="Gemini CLI"),
    Runtime("opencode", ("opencode",), "flag:--prompt", ("--continue",),
            description="OpenCode"),
    Runtime("copilot", ("copilot", "--allow-all-tools"), "flag:-i", ("--continue",),
            description="GitHub Copilot CLI"),
    Runtime("amp", ("amp", "--dangerously-allow-all"), "none", ("threads", "continue"),
            description="Amp"),
    Runtime("cursor", ("cursor-agent", "-f"), "arg", ("--resume",),
            description="Cursor agent CLI"),
    Runtime("scripted", (sys.executable, "-m", "gt.runtimes.scripted"), "none",
            ask=(sys.executable, "-m", "gt.runtimes.scripted", "--resume", "{session}",
                 "--ask", "{question}"),
            description="built-in deterministic agent (no LLM): does what a bead's "
                        "metadata script says, then `gt done`"),
)}


def runtimes(settings: TownSettings) -> dict[str, Runtime]:
    """Presets plus the town's custom runtimes (`[runtimes.<name>]` with a command)."""
    out = dict(PRESETS)
    for name, spec in settings.runtimes.items():
        if spec.command is None:
            continue
        out[name] = Runtime(name, spec.argv, spec.prompt, tuple(spec.resume),
                            ask=tuple(spec.ask), description=spec.description)
    return out


def choose(settings: TownSettings, role: str, explicit: str | None = None) -> Runtime:
    """--agent, else the role's choice, else the town's default agent."""
    name = explicit or settings.agents.get(role) or settings.default_agent
    table = runtimes(settings)
    if name not in table:
        raise GtError(f"unknown runtime {name!r}: choose one of {', '.join(sorted(table))} "
                      "or add one with `gt config agent set <name> <command>`")
    return table[name]


def tool_command(tool: str = "gt") -> list[str]:
    """How a git hook shim, a runtime or an agent calls gt (or bd): the installed script, else
    this interpreter."""
    script = Path(sys.executable).with_name(tool)
    if script.exists():
        return [str(script)]
    found = shutil.which(tool)
    return [found] if found else [sys.executable, "-m", "gt" if tool == "gt" else "beads"]


def claude_settings(path: Path) -> Path:
    """Write the Claude Code settings file whose hooks tie the session to gt."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(claude.settings(shlex.join(tool_command())), indent=2) + "\n")
    return path


def build(runtime: Runtime, settings: TownSettings, beacon: str, settings_path: Path,
          cwd: Path | None = None, state_dir: Path | None = None,
          session: str = "") -> tuple[list[str], dict[str, str]]:
    """The argv and extra environment that start `runtime`, checked to be runnable, its
    config files written (`settings_path`: the session's own file; `state_dir`: the
    town's, for configs kept per town or per session)."""
    argv = list(runtime.command)
    if shutil.which(argv[0]) is None and not Path(argv[0]).is_file():
        raise GtError(f"runtime {runtime.name!r} needs {argv[0]!r}, which is not installed; "
                      "install it, or choose another runtime with --agent or "
                      "`gt config default-agent <name>` (try `scripted`)")
    env = {"GT_RUNTIME": runtime.name, **runtime.env}
    options = settings.runtimes.get(runtime.name) or RuntimeSettings()
    if runtime.claude_settings_file:
        argv += ["--settings", str(claude_settings(settings_path))]
        directory = claude.config_dir(options, state_dir, session)
        extra, api_key = claude.environment(options, directory, dict(os.environ))
        env.update(extra)
        if options.model:
            argv += ["--model", options.model]
        if "--dangerously-skip-permissions" in argv and os.geteuid() == 0:
            opted_in = options.is_sandbox
            if not (opted_in or os.environ.get("IS_SANDBOX") == "1"):
                raise GtError("Claude Code refuses --dangerously-skip-permissions when run as "
                              "root; if this machine is a disposable sandbox, opt in with "
                              "`gt config set runtimes.claude.is_sandbox true`")
            env["IS_SANDBOX"] = "1"
        if cwd is not None:
            claude.prepare_config(directory, cwd, api_key)
    if runtime.codex_home and cwd is not None:
        home = settings_path.with_suffix(".codex")
        env.update(codex.prepare_home(home, options, cwd,
                                      [*tool_command(), "agent-hook", "turn-end"]))
    if runtime.prompt == "arg":
        argv.append(beacon)
    elif runtime.prompt.startswith("flag:"):
        argv += [runtime.prompt[5:], beacon]
    return argv, env

"""Real coding agents for tests: installed from npm into the checkout, driven in tmux.

`./tasks` installs them into `.npm-tools/` when npm is there; `npm_tool` does the same for a
test run that finds them missing, and skips the test, saying why, when it cannot. `Pane` runs
one agent in a tmux server of its own (`tmux -L <socket>`), so it never touches any other
session, and reads and types into its screen the way a person would.
"""

from __future__ import annotations

import fcntl
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

NPM_PREFIX = Path(__file__).resolve().parents[1] / ".npm-tools"
CLAUDE_PACKAGE = "@anthropic-ai/claude-code@2.1"
CODEX_PACKAGE = "@openai/codex@0.171"
ENTER_GAP = 0.08  # seconds between typed text and its Enter: sooner, the Enter can be lost
ECHO_CHARS = 16  # how much of the end of typed text must show before Enter is pressed
POLL = 0.05


def _version(program: Path) -> str | None:
    try:
        result = subprocess.run([str(program), "--version"], capture_output=True, text=True,
                                timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def npm_tool(package: str, program: str) -> Path:
    """The path of `program` from npm's `package`, installed into `.npm-tools/` if missing."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    path = NPM_PREFIX / "node_modules" / ".bin" / program
    if _version(path) is not None:
        return path
    if shutil.which("npm") is None:
        pytest.skip(f"npm is not installed, so {package} cannot be installed")
    NPM_PREFIX.mkdir(exist_ok=True)
    with open(NPM_PREFIX / "install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _version(path) is None:
            result = subprocess.run(
                ["npm", "install", "--prefix", str(NPM_PREFIX), "--no-audit", "--no-fund",
                 "--no-update-notifier", "--loglevel", "error", package],
                capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
            if result.returncode != 0:
                reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
                pytest.skip(f"npm could not install {package}: {reason}")
    if _version(path) is None:
        pytest.skip(f"{package} was installed but `{program} --version` does not run")
    return path


class Pane:
    """One program in its own tmux server; a context manager that kills the server."""

    def __init__(self, command: Sequence[str], cwd: Path, env: dict[str, str],
                 width: int = 120, height: int = 40) -> None:
        self.socket = f"gt-test-{uuid.uuid4().hex[:12]}"
        # A new server takes the environment of the client that starts it: `env` alone.
        self._tmux("new-session", "-d", "-s", "agent", "-x", str(width), "-y", str(height),
                   "-c", str(cwd), "--", *command, env=env)

    def _tmux(self, *args: str, env: dict[str, str] | None = None,
              check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, check=check, env=env, stdin=subprocess.DEVNULL)

    def __enter__(self) -> Pane:
        return self

    def __exit__(self, *exc: object) -> None:
        self._tmux("kill-server", check=False)

    def screen(self) -> str:
        """The visible screen, or "" once the program (and so its session) has ended."""
        result = self._tmux("capture-pane", "-p", "-t", "agent", check=False)
        return result.stdout if result.returncode == 0 else ""

    def wait_for(self, pattern: str, timeout: float, absent: str | None = None) -> str:
        """The screen once `pattern` (a regex) shows, and `absent` does not; else fail."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if re.search(pattern, screen, re.MULTILINE) and not (
                    absent and re.search(absent, screen, re.MULTILINE)):
                return screen
            time.sleep(POLL)
        pytest.fail(f"the screen never showed {pattern!r}"
                    + (f" without {absent!r}" if absent else "")
                    + f" within {timeout} s; it shows:\n{screen}")

    def type(self, text: str, timeout: float) -> None:
        """Type `text` literally and, once its end shows on screen and a short gap later,
        press Enter (an Enter sent before the text is drawn can be lost)."""
        self._tmux("send-keys", "-t", "agent", "-l", text)
        self.wait_for(re.escape(text.rstrip()[-ECHO_CHARS:]), timeout)
        time.sleep(ENTER_GAP)
        self.enter()

    def enter(self) -> None:
        self._tmux("send-keys", "-t", "agent", "Enter")

    def submit(self, text: str, submitted: Callable[[], bool], timeout: float) -> None:
        """Type `text` and press Enter until `submitted()` says it went in (twice at most)."""
        self.type(text, timeout)
        for attempt in range(2):
            deadline = time.monotonic() + timeout / 2
            while time.monotonic() < deadline:
                if submitted():
                    return
                time.sleep(POLL)
            if attempt == 0:
                self.enter()
        pytest.fail(f"{text!r} was never submitted; the screen shows:\n{self.screen()}")

"""Sessions in tmux, on a per-town server (`tmux -L <socket>`), never the user's default one.

No shell ever parses a command: tmux runs a single-item command through `$SHELL -c`, so every
command is prefixed with `env -- K=V ...`, which both passes the environment and makes tmux
execvp() the argv. tmux itself splits its argv at items ending in ';' (a command separator), so
such items are escaped (`x;` is sent as `x\\;`), and `-c` is format-expanded, so '#' is doubled.
Targets use `=name` (exact match): a bare name would also match other sessions by prefix. tmux
refuses '.' in session names, so '.' is kept as '+' inside tmux (names() maps it back).

Nudges are typed with `send-keys -l` (literal, never key names) in chunks, then Enter is sent on
its own, through a persistent control-mode client (`tmux_control`). A session started with a
`Screen` (a TUI agent) is typed into by `typing.Typist`: only when idle, confirmed, its Enter
retried once; its record keeps the screen for later `gt` processes. Newlines and tabs become
spaces (a newline would submit early) and other control characters are typed as visible
`\\xNN` text, so nothing in a nudge acts as a key.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from gt.runtimes.screens import Screen
from gt.sessions import tmux_control
from gt.sessions.base import (
    ExitWatch,
    Pane,
    SessionError,
    SessionSpec,
    check_startable,
    last_lines,
    log_path,
    read_record,
    record_path,
    recorded_log,
    tail_log,
    write_record,
)
from gt.sessions.processes import process_start_time
from gt.sessions.typing import Typist

# The pane's first process runs the command one level down (`pane.py`): tmux resumes a pane
# process it sees stopped, so only a command below it can be frozen by an emergency stop.
PANE = (sys.executable, "-S", str(Path(__file__).with_name("pane.py")), "--")
CHUNK = 200
CONFIRM_SECONDS = 2.0
TAIL_CHARS = 20
BLANKS = re.compile(r"\r\n|[\r\n\t]")
CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def tmux_name(name: str) -> str:
    """The session's name inside tmux ('.' is not allowed there)."""
    return name.replace(".", "+")


def printable(text: str) -> str:
    """A nudge as plain typed text: blanks for line breaks and tabs, `\\xNN` for controls."""
    return CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", BLANKS.sub(" ", text))


def _literal(arg: str) -> str:
    """Protect an argv item from tmux's ';' command separator."""
    return arg[:-1] + "\\;" if arg.endswith(";") else arg


def _squeeze(text: str) -> str:
    return "".join(text.split())


class TmuxBackend:
    """Sessions on the tmux server `socket`; records (log paths) live in `state_dir`."""

    kind = "tmux"

    def __init__(self, socket: str, state_dir: Path, exit_poke: Path | None = None,
                 exit_watch: ExitWatch | None = None) -> None:
        self.socket = socket
        self.state_dir = state_dir
        # The file tmux appends a line to when a session closes or a pane dies (the reactor
        # watches it); the hooks are set on the server, which holds only this town's sessions.
        self.exit_poke = exit_poke
        # Run by the same hook when one of its sessions closes: the server outlives them all.
        self.exit_watch = exit_watch

    def _tmux(self, *commands: list[str]) -> subprocess.CompletedProcess[str]:
        """Run tmux commands (chained with ';') on this server, every argument literal."""
        argv = ["tmux", "-L", self.socket]
        for index, command in enumerate(commands):
            argv += [";"] if index else []
            argv += map(_literal, command)
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              check=False)

    def start(self, spec: SessionSpec) -> None:
        check_startable(spec)
        if "=" in spec.command[0]:
            raise SessionError(f"cannot start {spec.name} in tmux: '=' in the program name")
        if self.is_live(spec.name):
            raise SessionError(f"session {spec.name} is already running")
        log = log_path(self.state_dir, spec)
        log.parent.mkdir(parents=True, exist_ok=True)
        target = f"={tmux_name(spec.name)}:"
        assignments = [f"{key}={value}" for key, value in spec.env.items()]
        pipe = "cat >> " + shlex.quote(str(log.absolute()))
        hooks = [["set-hook", "-g", hook, "run-shell -b " + tmux_control.quote(line)]
                 for hook, line in self._exit_hooks()]
        result = self._tmux(
            ["new-session", "-d", "-P", "-F", "#{pane_pid} #{session_created} #{session_id}",
             "-s", tmux_name(spec.name), "-c", str(spec.cwd.absolute()).replace("#", "##"),
             "--", "env", "--", *assignments, *PANE, *spec.command],
            ["set-option", "-w", "-t", target, "remain-on-exit", "off"],
            ["pipe-pane", "-t", target, pipe.replace("#", "##")], *hooks)
        if result.returncode != 0:
            reason = (result.stderr.strip().splitlines() or ["unknown error"])[0]
            raise SessionError(f"tmux could not start {spec.name}: {reason}")
        pid, created, session_id = [*result.stdout.split(), "", "", ""][:3]
        record: dict[str, object] = {"started_at": datetime.now(UTC).isoformat(),
                                     "command": spec.command, "log": str(log)}
        if pid.isdigit():
            record |= {"pid": int(pid), "start_time": process_start_time(int(pid)),
                       "incarnation": f"{created}{session_id}"}
        if spec.screen is not None:
            record["screen"] = dataclasses.asdict(spec.screen)
        write_record(record_path(self.state_dir, spec.name), record)

    def _exit_hooks(self) -> list[tuple[str, str]]:
        """tmux hooks poking the reactor when a session of this server ends: a line naming
        the hook and the session is appended to the poke file; when the session is one the
        exit watch names, its command runs next. The line is a fixed shell command (every
        path in it quoted); session names hold only letters, digits and `_.+-`."""
        if self.exit_poke is None:
            return []
        target = shlex.quote(str(self.exit_poke.absolute())).replace("#", "##")
        hooks = [(hook, f"echo {hook} '#{{hook_session_name}}' >> {target}")
                 for hook in ("session-closed", "pane-died")]
        if self.exit_watch is not None:
            names = "|".join(tmux_name(name) for name in self.exit_watch.sessions)
            command = shlex.join(self.exit_watch.command).replace("#", "##")
            hook, line = hooks[0]
            hooks[0] = (hook, f"{line}; case '#{{hook_session_name}}' in {names}) {command} "
                              "</dev/null >/dev/null 2>&1 ;; esac")
        return hooks

    def panes(self) -> dict[str, Pane]:
        """Every live session of this server with its first pane: one tmux call."""
        result = self._tmux(["list-panes", "-a", "-F",
                             "#{session_name}\t#{pane_pid}\t#{pane_current_command}\t"
                             "#{pane_dead}\t#{session_created}#{session_id}"])
        found: dict[str, Pane] = {}
        for line in result.stdout.splitlines() if result.returncode == 0 else []:
            fields = line.split("\t")
            if len(fields) != 5 or not fields[1].isdigit():
                continue
            name = fields[0].replace("+", ".")
            found.setdefault(name, Pane(int(fields[1]), fields[2], fields[3] == "1", fields[4]))
        return found

    def is_live(self, name: str) -> bool:
        return self._tmux(["has-session", "-t", f"={tmux_name(name)}"]).returncode == 0

    def stop(self, name: str) -> None:
        self._tmux(["kill-session", "-t", f"={tmux_name(name)}"])
        record_path(self.state_dir, name).unlink(missing_ok=True)

    def _runner(self, name: str) -> Callable[..., tuple[bool, str]]:
        """Runs tmux commands through this process's control client (`tmux_control`), or one
        tmux process each when it cannot be had."""
        control = tmux_control.client(self.socket)

        def run(*argv: str) -> tuple[bool, str]:
            reply = control.run(tmux_name(name), list(argv))
            if reply is not None:
                return reply
            done = self._tmux(list(argv))
            return done.returncode == 0, done.stdout

        return run

    def _typist(self, name: str) -> Typist | None:
        """A typist for a session started with a screen, else None."""
        record = read_record(record_path(self.state_dir, name)) or {}
        data = record.get("screen")
        if not isinstance(data, dict):
            return None
        return Typist(self._runner(name), f"={tmux_name(name)}:", Screen(**data))

    def screen_state(self, name: str) -> str | None:
        """"busy", "idle" or "starting" for a TUI session; None without a screen or pane."""
        typist = self._typist(name)
        return typist.state() if typist is not None else None

    def send(self, name: str, text: str) -> bool:
        """Type `text` and press Enter; True once the text is seen on the pane (within ~2 s).
        Into a TUI (a session with a screen): only when it is idle, and True once the text
        was submitted (or typed and kept in its box); False when it is busy."""
        target = f"={tmux_name(name)}:"
        text = printable(text)
        typist = self._typist(name)
        if typist is not None:
            return typist.submit(text, CHUNK) in ("delivered", "lost")
        tail = _squeeze(text)[-TAIL_CHARS:]
        run = self._runner(name)
        before = self._count(run, target, tail)
        if before is None:
            return False  # no such session: capturing its pane failed
        for start in range(0, len(text), CHUNK):
            if not run("send-keys", "-t", target, "-l", "--", text[start:start + CHUNK])[0]:
                return False
        seen = not tail or self._wait_for(run, target, tail, before)
        return run("send-keys", "-t", target, "Enter")[0] and seen

    @staticmethod
    def _count(run: Callable[..., tuple[bool, str]], target: str, tail: str) -> int | None:
        """How often `tail` shows on the pane; None when the session is not there."""
        ok, pane = run("capture-pane", "-p", "-J", "-t", target)
        if not ok:
            return None
        return _squeeze(pane).count(tail) if tail else 0

    def _wait_for(self, run: Callable[..., tuple[bool, str]], target: str, tail: str,
                  before: int) -> bool:
        deadline = time.monotonic() + CONFIRM_SECONDS
        pause = 0.001  # the pane shows typed text within a millisecond or two, usually
        while time.monotonic() < deadline:
            if (self._count(run, target, tail) or 0) > before:
                return True
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        return False

    def peek(self, name: str, lines: int = 50) -> str:
        """The pane's last lines while live, else the tail of the session's log."""
        result = self._tmux(["capture-pane", "-p", "-J", "-t", f"={tmux_name(name)}:",
                             "-S", f"-{lines}"])
        if result.returncode == 0:
            return last_lines(result.stdout, lines)
        return tail_log(recorded_log(self.state_dir, name), lines)

    def names(self) -> list[str]:
        result = self._tmux(["list-sessions", "-F", "#{session_name}"])
        if result.returncode != 0:
            return []
        return sorted(line.replace("+", ".") for line in result.stdout.splitlines() if line)

"""A persistent tmux control-mode client (`tmux -C`), so a nudge costs pipe round trips, not a
tmux client process per command (about 3.5 ms each, four per nudge).

One client per tmux server and process, kept for the life of the process (the reactor's).
It attaches to the session it is first asked about, with `ignore-size,no-output` so it never
resizes panes or receives their output; commands for any session of the server go through
it. Commands are written in tmux's own command language, each argument double-quoted with
`\\`, `"` and `$` escaped, and must hold no line breaks (nudges are made printable first).
Each command line is answered, in order, by one `%begin`/`%end` (or `%error`) block with the
same time, number and flags 1; blocks with other flags (the attach's own) and notifications
are skipped. If the client exits (its session ended), stalls or breaks, it is dropped and
started again once.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import threading
import time

REPLY_SECONDS = 5.0


class ControlLost(Exception):
    """The control client exited, stalled or broke its protocol."""


def quote(arg: str) -> str:
    """One argument in tmux's command language, taken literally."""
    if "\n" in arg or "\r" in arg:
        raise ValueError("a tmux control command cannot hold a line break")
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


class ControlClient:
    """`tmux -L <socket> -C`, driven one command at a time (thread-safe)."""

    def __init__(self, socket: str) -> None:
        self.socket = socket
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._lock = threading.Lock()

    def run(self, session: str, argv: list[str]) -> tuple[bool, str] | None:
        """Run one command: (succeeded, output); None when no client can be had (attaching to
        `session` failed, e.g. it does not exist)."""
        with self._lock:
            for _attempt in range(2):
                if not self._alive() and not self._start(session):
                    return None
                try:
                    return self._command(argv)
                except ControlLost:
                    self.close()
            return None

    @property
    def pid(self) -> int | None:
        """The control client's process id while it runs."""
        return self._proc.pid if self._proc is not None and self._alive() else None

    def close(self) -> None:
        proc, self._proc, self._buffer = self._proc, None, b""
        if proc is None:
            return
        proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):  # a write the dead client never read
                    stream.close()

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _start(self, session: str) -> bool:
        self._proc = subprocess.Popen(
            ["tmux", "-L", self.socket, "-C", "attach-session", "-f", "ignore-size,no-output",
             "-t", f"={session}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        token = f"gt-control-{os.getpid()}-{time.monotonic_ns()}"
        try:
            self._write(["display-message", "-p", token])
            while True:  # the attach's own reply block comes first
                ok, out = self._block()
                if token in out:
                    return ok
        except ControlLost:
            self.close()
            return False

    def _command(self, argv: list[str]) -> tuple[bool, str]:
        self._write(argv)
        return self._block()

    def _write(self, argv: list[str]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write((" ".join(map(quote, argv)) + "\n").encode())
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise ControlLost(str(exc)) from None

    def _block(self) -> tuple[bool, str]:
        """The reply to the oldest command not yet answered: (not %error, its lines). Blocks
        whose flags are not 1 answer commands the client did not send (its own attach) and
        are skipped, whenever they arrive."""
        deadline = time.monotonic() + REPLY_SECONDS
        while True:
            line = self._line(deadline)
            if line.startswith("%exit"):
                raise ControlLost("the control client exited")
            if not line.startswith("%begin "):
                continue
            stamp = line.split()[1:4]
            body = []
            while True:
                line = self._line(deadline)
                fields = line.split()
                if fields[:1] in (["%end"], ["%error"]) and fields[1:4] == stamp:
                    break
                body.append(line)
            if stamp[2:] == ["1"]:
                return fields[0] == "%end", "".join(f"{x}\n" for x in body)

    def _line(self, deadline: float) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise ControlLost("no reply from tmux")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise ControlLost("the control client exited")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode("utf-8", "replace").rstrip("\r")


_CLIENTS: dict[str, ControlClient] = {}
_CLIENTS_LOCK = threading.Lock()


def client(socket: str) -> ControlClient:
    """This process's control client for the tmux server `socket`."""
    with _CLIENTS_LOCK:
        return _CLIENTS.setdefault(socket, ControlClient(socket))

"""The first process of a tmux pane: it runs the session's command as its child, in a process
group of its own that owns the terminal, and exits with the child's status.

Why: tmux resumes at once (SIGCONT to its process group) a pane process that it sees
stopped, so an emergency stop could never freeze a command that tmux started directly. The
command, one level down and in its own group, can be stopped and stays stopped. It is the
terminal's foreground group, so it reads what is typed (nudges) as it would as the pane's
process. Signals that end the pane (SIGHUP, SIGTERM, SIGINT) are passed on to the command's
group. Run by path, with the standard library only, so it starts in milliseconds.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import suppress

FORWARDED = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)


def _child(argv: list[str]) -> None:
    """In the child: a group of its own, the terminal's foreground, then the command."""
    os.setpgid(0, 0)
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # a background group may then take the tty
    with suppress(OSError):
        os.tcsetpgrp(0, os.getpgrp())
    for signum in (signal.SIGTTOU, *FORWARDED):
        signal.signal(signum, signal.SIG_DFL)
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        print(f"cannot run {argv[0]}: {exc.strerror or exc}", file=sys.stderr)
        os._exit(127)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: pane.py -- <command> [args...]", file=sys.stderr)
        return 2
    pid = os.fork()
    if pid == 0:
        _child(argv)
    with suppress(OSError):
        os.setpgid(pid, pid)  # also here, so the group exists whoever runs first

    def forward(signum: int, _frame: object) -> None:
        with suppress(ProcessLookupError):
            os.killpg(pid, signum)
            os.killpg(pid, signal.SIGCONT)  # a frozen command must still hear it

    for signum in FORWARDED:
        signal.signal(signum, forward)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            return 0
        return os.waitstatus_to_exitcode(status) % 256 if os.WIFEXITED(status) \
            else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The Typist types into a real tmux pane running a small TUI that behaves like Claude Code's.

The TUI (written below, run by python in the pane) draws Claude Code's markers: an input box
(a `❯` line between two rules of `─`), and while a turn runs "esc to interrupt" in its status
line. Enter submits the box's text and keeps the TUI busy for a while; an Enter arriving
sooner than its drop window after the last typed character is lost, the text staying in the
box, as Claude Code loses an Enter sent right after the text is drawn. The TUI logs every key,
every Enter (dropped or not) and every submission, which the tests read.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gt.runtimes.screens import CLAUDE
from gt.sessions.typing import Typist

FAKE_TUI = r'''
import codecs, json, os, sys, termios, time, tty, select
log_path, drop_window, busy_for, start_after = sys.argv[1], float(sys.argv[2]), \
    float(sys.argv[3]), float(sys.argv[4])
fd = sys.stdin.fileno()
tty.setraw(fd)
decoder = codecs.getincrementaldecoder("utf-8")("replace")
box, said, busy_until, last_key = "", [], 0.0, 0.0
log = open(log_path, "a", buffering=1)

def note(**event):
    log.write(json.dumps({"at": time.time(), **event}) + "\n")

def draw():
    busy = time.monotonic() < busy_until
    rule = "\u2500" * 80
    lines = said[-10:] + ["", rule, "\u276f\u00a0" + box, rule,
        "\u273b Working\u2026 (esc to interrupt)" if busy else "\u23f5\u23f5 bypass permissions on"]
    sys.stdout.write("\x1b[H\x1b[2J" + "\r\n".join(lines))
    sys.stdout.flush()

time.sleep(start_after)
sys.stdout.write("\x1b[H\x1b[2J Starting\u2026"); sys.stdout.flush()
time.sleep(start_after)
draw()
was_busy = False
while True:
    ready, _, _ = select.select([fd], [], [], 0.05)
    busy = time.monotonic() < busy_until
    if was_busy and not busy:
        said.append("\u25cf Done.")
        draw()
    was_busy = busy
    if not ready:
        continue
    data = os.read(fd, 4096)
    if not data:
        break
    now = time.monotonic()
    for char in decoder.decode(data):
        if char == "\r":
            dropped = now - last_key < drop_window
            note(event="enter", dropped=dropped, busy=busy)
            if not dropped and box:
                note(event="submit", text=box, busy=busy)
                said.append("> " + box)
                box, busy_until = "", now + busy_for
        else:
            note(event="key", busy=busy)
            box += char
            last_key = now
    draw()
'''


class FakeTui:
    """The fake TUI in a tmux server of its own; a context manager that kills the server."""

    def __init__(self, tmp: Path, drop_window: float = 0.05, busy_for: float = 1.0,
                 start_after: float = 0.0) -> None:
        self.socket = f"gt-typist-{uuid.uuid4().hex[:10]}"
        self.log = tmp / f"{self.socket}.jsonl"
        script = tmp / "fake_tui.py"
        script.write_text(FAKE_TUI)
        self.log.touch()
        subprocess.run(["tmux", "-L", self.socket, "new-session", "-d", "-s", "fake", "-x",
                        "200", "-y", "30", "--", sys.executable, str(script), str(self.log),
                        str(drop_window), str(busy_for), str(start_after)], check=True)
        self.typist = Typist(self.run, "=fake:", CLAUDE)

    def run(self, *argv: str) -> tuple[bool, str]:
        done = subprocess.run(["tmux", "-L", self.socket, *argv], capture_output=True,
                              text=True, stdin=subprocess.DEVNULL)
        return done.returncode == 0, done.stdout

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in map(json.loads, self.log.read_text().splitlines())
                if e["event"] == kind]

    def submitted(self) -> list[str]:
        return [e["text"] for e in self.events("submit")]

    def wait_idle(self, seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while self.typist.state() != "idle":
            assert time.monotonic() < deadline, self.run("capture-pane", "-p", "-t", "=fake:")
            time.sleep(0.05)

    def __enter__(self) -> FakeTui:
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture(autouse=True)
def needs_tmux() -> Iterator[None]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    yield


def test_text_is_submitted_exactly_once_into_an_idle_tui(tmp_path: Path) -> None:
    text = "check 'quotes' \"and\" $(not run) `nor this`; ünïcödé ✓ -- done"
    with FakeTui(tmp_path, start_after=0.4) as tui:
        # Typed as soon as asked: the Typist waits for the input box to be drawn.
        assert tui.typist.submit(text) == "delivered"
        assert tui.submitted() == [text]
        assert [e["dropped"] for e in tui.events("enter")] == [False]
        tui.wait_idle()
        time.sleep(0.3)
        assert tui.submitted() == [text]


def test_a_busy_tui_is_never_typed_into(tmp_path: Path) -> None:
    with FakeTui(tmp_path, busy_for=1.5) as tui:
        assert tui.typist.submit("first prompt") == "delivered"
        assert tui.typist.state() == "busy"
        assert tui.typist.submit("second prompt") == "busy"
        tui.wait_idle()
        assert tui.typist.submit("second prompt") == "delivered"
        assert tui.submitted() == ["first prompt", "second prompt"]
        assert [e for e in tui.events("key") + tui.events("enter") if e["busy"]] == []


def test_a_lost_enter_is_pressed_once_more(tmp_path: Path) -> None:
    # Every Enter within a second of the last key is lost: the Typist's first one is.
    with FakeTui(tmp_path, drop_window=1.0) as tui:
        assert tui.typist.submit("retried prompt") == "delivered"
        assert tui.submitted() == ["retried prompt"]
        assert [e["dropped"] for e in tui.events("enter")] == [True, False]


def test_text_whose_enters_are_all_lost_is_reported_lost(tmp_path: Path) -> None:
    with FakeTui(tmp_path, drop_window=60.0) as tui:
        assert tui.typist.submit("never goes in") == "lost"
        assert tui.submitted() == []
        # Enter was pressed twice, never more, and nothing else (no Escape, no C-c) was sent.
        assert [e["dropped"] for e in tui.events("enter")] == [True, True]
        assert len(tui.events("key")) == len("never goes in")


def test_a_gone_pane_is_reported_gone(tmp_path: Path) -> None:
    with FakeTui(tmp_path) as tui:
        tui.wait_idle()
        tui.run("kill-server")
        assert tui.typist.submit("to nobody") == "gone"
        assert tui.typist.state() is None

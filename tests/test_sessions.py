"""Session backends against the real thing: tmux servers on private sockets, real processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gt.sessions import (
    Backend,
    ProcessBackend,
    SessionError,
    SessionSpec,
    TmuxBackend,
    choose_backend,
    tmux_control,
)
from gt.sessions.base import record_path, write_record
from tests.gt_helpers import wait_for

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

PY = sys.executable
# Writes its argv, cwd and environment to argv[1] (atomically), then exits.
DUMP = ("import json, os, sys; p = sys.argv[1]; open(p + '.tmp', 'w').write(json.dumps("
        "{'argv': sys.argv[2:], 'cwd': os.getcwd(), 'env': dict(os.environ)})); "
        "os.replace(p + '.tmp', p)")
# Appends every line typed into the terminal to argv[1].
READ_LOOP = ("import sys; print('ready', flush=True)\n"
             "for line in sys.stdin:\n"
             "    open(sys.argv[1], 'a').write(line)")
SLEEP = [PY, "-c", "import time; print('ready', flush=True); time.sleep(60)"]


def spec(tmp_path: Path, name: str, command: list[str], **env: str) -> SessionSpec:
    return SessionSpec(name=name, command=command, cwd=tmp_path, env=env)


@pytest.fixture
def tmux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TmuxBackend]:
    """A backend on its own tmux server, whose socket lives in a private (short) directory."""
    sockets = tempfile.mkdtemp(prefix="gt-tmux-")
    monkeypatch.setenv("TMUX_TMPDIR", sockets)
    socket = f"gt-test-{uuid.uuid4().hex[:12]}"
    yield TmuxBackend(socket, tmp_path / "tmux-state")
    subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)
    shutil.rmtree(sockets, ignore_errors=True)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[ProcessBackend]:
    backend = ProcessBackend(tmp_path / "sessions", grace=0.5)
    yield backend
    for name in backend.names():
        backend.stop(name)


@pytest.fixture
def poked(tmp_path: Path) -> Iterator[ProcessBackend]:
    """Processes under the exit wrapper, which appends to `sessions.poke` when one ends."""
    backend = ProcessBackend(tmp_path / "poked", grace=0.5, exit_poke=tmp_path / "sessions.poke")
    yield backend
    for name in backend.names():
        backend.stop(name)


@pytest.fixture(params=[pytest.param("tmux", marks=needs_tmux), "processes", "poked"])
def backend(request: pytest.FixtureRequest) -> Backend:
    return request.getfixturevalue(request.param)


def test_start_is_live_stop_and_stop_again(backend: Backend, tmp_path: Path) -> None:
    backend.start(spec(tmp_path, "gt-town-nux", SLEEP))
    assert backend.is_live("gt-town-nux")
    assert backend.names() == ["gt-town-nux"]
    backend.stop("gt-town-nux")
    wait_for(lambda: not backend.is_live("gt-town-nux"))
    assert backend.names() == []
    backend.stop("gt-town-nux")
    backend.stop("never-started")


def test_a_live_name_cannot_be_started_twice(backend: Backend, tmp_path: Path) -> None:
    backend.start(spec(tmp_path, "gt-dup", SLEEP))
    with pytest.raises(SessionError, match="already running"):
        backend.start(spec(tmp_path, "gt-dup", SLEEP))
    assert backend.names() == ["gt-dup"]


def test_environment_and_directory_reach_the_command(backend: Backend, tmp_path: Path) -> None:
    workdir = tmp_path / "work #{session_name} dir"
    workdir.mkdir()
    out = tmp_path / "dump.json"
    odd = "a b;$(touch x)`y`;"
    backend.start(SessionSpec(name="gt-env", command=[PY, "-c", DUMP, str(out)], cwd=workdir,
                              env={"GT_ROLE": "polecat", "BD_ACTOR": "gastown/nux", "ODD": odd}))
    wait_for(out.exists)
    dumped = json.loads(out.read_text())
    assert dumped["cwd"] == str(workdir)
    assert dumped["env"]["GT_ROLE"] == "polecat"
    assert dumped["env"]["BD_ACTOR"] == "gastown/nux"
    assert dumped["env"]["ODD"] == odd


def test_hostile_arguments_are_passed_literally(backend: Backend, tmp_path: Path) -> None:
    out = tmp_path / "dump.json"
    hostile = ["; rm -rf ~", f"$(touch {tmp_path}/pwned)", f"`touch {tmp_path}/pwned`",
               "a;", ";", "\\;", "b\\\\;", "{ kill-server }", "#{session_name}", "~", "*",
               "", " spaced ", "two\nlines", "'\"", "-e", "--", "X=1"]
    backend.start(spec(tmp_path, "gt-argv", [PY, "-c", DUMP, str(out), *hostile]))
    wait_for(out.exists)
    assert json.loads(out.read_text())["argv"] == hostile
    assert not (tmp_path / "pwned").exists()


def test_peek_shows_output_while_live_and_after_exit(backend: Backend, tmp_path: Path) -> None:
    talk = "import time\nfor i in range(5): print(f'line-{i}', flush=True)\ntime.sleep(60)"
    backend.start(spec(tmp_path, "gt-live", [PY, "-c", talk]))
    wait_for(lambda: "line-4" in backend.peek("gt-live"))
    assert backend.peek("gt-live", lines=2).splitlines()[-1] == "line-4"

    backend.start(spec(tmp_path, "gt-gone", [PY, "-c", "print('goodbye, world')"]))
    wait_for(lambda: not backend.is_live("gt-gone"))
    wait_for(lambda: "goodbye, world" in backend.peek("gt-gone"))
    assert backend.send("gt-gone", "anyone there?") is False
    assert backend.names() == ["gt-live"]


def test_send_to_a_missing_session_is_false(backend: Backend) -> None:
    assert backend.send("gt-nobody", "hello") is False


def test_start_refuses_a_missing_directory_or_program(backend: Backend, tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="no such directory"):
        backend.start(SessionSpec("gt-x", SLEEP, tmp_path / "missing", {}))
    with pytest.raises(SessionError, match="command not found"):
        backend.start(spec(tmp_path, "gt-x", ["no-such-program-gt", "arg"]))
    assert backend.names() == []


@pytest.mark.parametrize("name", ["", "a b", "a:b", "x" * 65, "-flag", ".hidden", "a/b"])
def test_spec_refuses_bad_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(SessionError, match="invalid session name"):
        spec(tmp_path, name, SLEEP)


def test_spec_refuses_empty_command_bad_env_and_nul(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="empty command"):
        spec(tmp_path, "gt-x", [])
    with pytest.raises(SessionError, match="environment variable"):
        SessionSpec("gt-x", SLEEP, tmp_path, {"A=B": "1"})
    with pytest.raises(SessionError, match="NUL"):
        spec(tmp_path, "gt-x", [PY, "a\0b"])


@needs_tmux
@pytest.mark.parametrize("text", [
    "C-c Enter ; rm -rf ~ $(touch {tmp}/pwned) `touch {tmp}/pwned` \\e[31m #{{session_name}} ;",
    "abc;" * 130,
], ids=["hostile", "long-chunked"])
def test_nudge_arrives_verbatim_with_no_side_effect(tmux: TmuxBackend, tmp_path: Path,
                                                   text: str) -> None:
    text = text.format(tmp=tmp_path)
    lines = tmp_path / "lines.txt"
    tmux.start(spec(tmp_path, "gt-reader", [PY, "-c", READ_LOOP, str(lines)]))
    wait_for(lambda: "ready" in tmux.peek("gt-reader"))
    assert tmux.send("gt-reader", text) is True
    wait_for(lambda: lines.exists() and lines.read_text().endswith("\n"))
    assert lines.read_text() == text + "\n"
    assert not (tmp_path / "pwned").exists()
    assert tmux.is_live("gt-reader")


@needs_tmux
def test_nudge_key_names_line_breaks_and_controls_are_typed_as_text(
        tmux: TmuxBackend, tmp_path: Path) -> None:
    lines = tmp_path / "lines.txt"
    tmux.start(spec(tmp_path, "gt-reader", [PY, "-c", READ_LOOP, str(lines)]))
    wait_for(lambda: "ready" in tmux.peek("gt-reader"))
    assert tmux.send("gt-reader", "first\nsecond\r\nthird\x1b[31m\x03\x04end") is True
    assert tmux.send("gt-reader", "C-c") is True
    assert tmux.send("gt-reader", "Enter") is True
    wait_for(lambda: lines.exists() and lines.read_text().count("\n") == 3)
    assert lines.read_text() == "first second third\\x1b[31m\\x03\\x04end\nC-c\nEnter\n"
    assert tmux.is_live("gt-reader")


@needs_tmux
def test_a_repeated_nudge_is_confirmed_by_its_new_copy(tmux: TmuxBackend, tmp_path: Path) -> None:
    lines = tmp_path / "lines.txt"
    tmux.start(spec(tmp_path, "gt-reader", [PY, "-c", READ_LOOP, str(lines)]))
    wait_for(lambda: "ready" in tmux.peek("gt-reader"))
    assert tmux.send("gt-reader", "check your mail") is True
    assert tmux.send("gt-reader", "check your mail") is True
    wait_for(lambda: lines.exists() and lines.read_text().count("\n") == 2)


@needs_tmux
def test_tmux_names_are_exact_and_dots_survive(tmux: TmuxBackend, tmp_path: Path) -> None:
    tmux.start(spec(tmp_path, "gt-my.rig-nux", SLEEP))
    tmux.start(spec(tmp_path, "gt-ab", SLEEP))
    assert tmux.is_live("gt-my.rig-nux")
    assert not tmux.is_live("gt-a")
    assert not tmux.is_live("gt-my_rig-nux")
    assert tmux.names() == ["gt-ab", "gt-my.rig-nux"]
    tmux.stop("gt-a")
    assert tmux.names() == ["gt-ab", "gt-my.rig-nux"]
    raw = subprocess.run(["tmux", "-L", tmux.socket, "list-sessions", "-F", "#{session_name}"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert sorted(raw) == ["gt-ab", "gt-my+rig-nux"]


@needs_tmux
def test_tmux_session_ends_with_its_command(tmux: TmuxBackend, tmp_path: Path) -> None:
    tmux.start(spec(tmp_path, "gt-brief", [PY, "-c", "print('done')"]))
    wait_for(lambda: not tmux.is_live("gt-brief"))
    assert tmux.names() == []


def test_process_backend_cannot_type(processes: ProcessBackend, tmp_path: Path) -> None:
    processes.start(spec(tmp_path, "gt-quiet", SLEEP))
    assert processes.send("gt-quiet", "hello") is False
    assert processes.is_live("gt-quiet")


def test_a_reused_pid_is_not_the_session(processes: ProcessBackend) -> None:
    write_record(record_path(processes.state_dir, "gt-ghost"),
                 {"pid": os.getpid(), "start_time": 1, "log": "nowhere.log"})
    assert not processes.is_live("gt-ghost")
    assert processes.names() == []
    processes.stop("gt-ghost")
    assert not record_path(processes.state_dir, "gt-ghost").exists()


def test_stop_kills_a_stubborn_process_group(processes: ProcessBackend, tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    stubborn = ("import signal, subprocess, sys, time\n"
                "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
                "open(sys.argv[1], 'w').write(str(child.pid))\n"
                "time.sleep(60)")
    processes.start(spec(tmp_path, "gt-stubborn", [PY, "-c", stubborn, str(pidfile)]))
    wait_for(lambda: pidfile.exists() and pidfile.read_text() != "")
    grandchild = int(pidfile.read_text())
    processes.stop("gt-stubborn")
    assert not processes.is_live("gt-stubborn")
    assert not record_path(processes.state_dir, "gt-stubborn").exists()
    wait_for(lambda: not _running(grandchild))


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.parametrize("how", ["killed", "exits"])
def test_a_process_sessions_end_is_poked_at_once(poked: ProcessBackend, tmp_path: Path,
                                                 how: str) -> None:
    """The wrapper appends `process-exited <name>` when the child ends, however it ends."""
    assert poked.exit_poke is not None
    command = SLEEP if how == "killed" else [PY, "-c", "import sys; sys.exit(3)"]
    poked.start(spec(tmp_path, "gt-proj-nux.2", command))
    if how == "killed":
        wait_for(lambda: poked.is_live("gt-proj-nux.2") and _children(_pid(poked, "gt-proj-nux.2")))
        assert not poked.exit_poke.exists()
        os.kill(_children(_pid(poked, "gt-proj-nux.2"))[0], 9)
    wait_for(poked.exit_poke.exists, timeout=20, what="the poke line")
    wait_for(lambda: poked.exit_poke.read_text() == "process-exited gt-proj-nux.2\n", timeout=20)
    wait_for(lambda: not poked.is_live("gt-proj-nux.2"), timeout=20)


def test_a_stopped_process_session_is_stopped_whole(poked: ProcessBackend,
                                                     tmp_path: Path) -> None:
    poked.start(spec(tmp_path, "gt-stop-me", SLEEP))
    wait_for(lambda: bool(_children(_pid(poked, "gt-stop-me"))))
    child = _children(_pid(poked, "gt-stop-me"))[0]
    poked.stop("gt-stop-me")
    wait_for(lambda: not _running(child), timeout=20)


def _pid(backend: ProcessBackend, name: str) -> int:
    return int(json.loads(record_path(backend.state_dir, name).read_text())["pid"])


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_choose_backend(tmp_path: Path) -> None:
    chosen = choose_backend(tmp_path, "gt-sock", no_tmux=True)
    assert isinstance(chosen, ProcessBackend)
    assert chosen.kind == "process"
    assert chosen.state_dir == tmp_path / "sessions"
    expected = TmuxBackend if shutil.which("tmux") else ProcessBackend
    assert isinstance(choose_backend(tmp_path, "gt-sock"), expected)


@needs_tmux
def test_nudges_share_one_control_client_that_survives_its_session(
        tmux: TmuxBackend, tmp_path: Path) -> None:
    for name in ("gt-a", "gt-b"):
        tmux.start(spec(tmp_path, name, [PY, "-c", READ_LOOP, str(tmp_path / name)]))
        wait_for(lambda name=name: "ready" in tmux.peek(name))
    assert tmux.send("gt-a", "one") is True
    control = tmux_control.client(tmux.socket)
    first = control.pid
    assert first is not None
    assert tmux.send("gt-b", "two") is True
    assert control.pid == first  # one client process served both sessions
    heard_by_a = tmp_path / "gt-a"  # read before its session is stopped
    wait_for(lambda: heard_by_a.exists() and heard_by_a.read_text() == "one\n")
    tmux.stop("gt-a")  # the session it is attached to ends, and the client with it
    assert tmux.send("gt-b", "three") is True
    assert control.pid not in (None, first)
    received = tmp_path / "gt-b"  # written by the session once it has read a line
    wait_for(lambda: received.exists() and received.read_text() == "two\nthree\n")
    assert (tmp_path / "gt-a").read_text() == "one\n"
    assert tmux.send("gt-missing", "four") is False


@needs_tmux
@pytest.mark.parametrize("text", [
    'say "hi" \\ $HOME ~ \'quoted\' ; {braces} #{session_name} %end 1 2 3 `x` $(y)',
    "ends with a backslash \\",
    "; ;; ;",
])
def test_control_commands_take_every_argument_literally(tmux: TmuxBackend, tmp_path: Path,
                                                        text: str) -> None:
    tmux.start(spec(tmp_path, "gt-a", SLEEP))
    control = tmux_control.client(tmux.socket)
    assert control.run("gt-a", ["set-buffer", "-b", "probe", "--", text]) == (True, "")
    stored = subprocess.run(["tmux", "-L", tmux.socket, "show-buffer", "-b", "probe"],
                            capture_output=True, text=True).stdout
    assert stored == text
    ok, _ = control.run("gt-a", ["has-session", "-t", "=no-such-session"]) or (True, "")
    assert ok is False
    with pytest.raises(ValueError, match="line break"):
        control.run("gt-a", ["set-buffer", "--", "two\nlines"])

"""Helpers for gt tests: a sample project repository and running `gt` as a real process."""

from __future__ import annotations

import inspect
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

GT = [sys.executable, "-m", "gt"]
BD = [sys.executable, "-m", "beads"]


def make_project(path: Path) -> Path:
    """A small git repository with one commit on main."""
    path.mkdir(parents=True)
    (path / "app.py").write_text("VALUE = 1\n")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "initial"], cwd=path, check=True)
    return path


def make_town(base: Path, source: Path | None = None) -> Path:
    """A town (sessions as processes) at `base/town` with the rig `proj` (prefix pj)."""
    root = base / "town"
    gt(base, "install", str(root), "--no-tmux")
    gt(root, "rig", "add", "proj", str(source or make_project(base / "proj")), "--prefix", "pj")
    return root


def machine_town(base: Path, machine: str, origin: str, agent_command: str) -> Path:
    """A town at `base/<machine>` on the machine `machine`, with the rig `proj` (prefix pj)
    cloned from `origin`, whose agents run `agent_command` (no prompt)."""
    town = base / machine
    gt(base, "install", str(town), "--no-tmux")
    gt(town, "config", "machine", machine)
    gt(town, "config", "agent", "set", "agent", agent_command, "--prompt", "none")
    gt(town, "config", "default-agent", "agent")
    gt(town, "rig", "add", "proj", origin, "--prefix", "pj")
    return town


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=full,
                            timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def gt(cwd: Path, *args: str, env: dict[str, str] | None = None,
       check: bool = True) -> subprocess.CompletedProcess[str]:
    return run([*GT, *args], cwd, env, check)


def bd(cwd: Path, *args: str, env: dict[str, str] | None = None,
       check: bool = True) -> subprocess.CompletedProcess[str]:
    return run([*BD, *args], cwd, env, check)


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Poll until `predicate()` holds; fail the test after `timeout` seconds, saying what it
    awaited: `what`, or else the line of source that holds the predicate."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    if not what:
        try:
            what = inspect.getsource(predicate).strip()
        except (OSError, TypeError):
            what = repr(predicate)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def git_daemon(repository: Path) -> Iterator[str]:
    """`git daemon` on 127.0.0.1 serving the bare `repository` (pushes allowed) from its
    parent directory; yields its URL, `git://127.0.0.1:<port>/<name>`, once it answers."""
    served = repository.parent
    port = _free_port()
    daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all",
                               "--enable=receive-pack", f"--base-path={served}",
                               "--listen=127.0.0.1", f"--port={port}", str(served)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    url = f"git://127.0.0.1:{port}/{repository.name}"
    try:
        wait_for(lambda: subprocess.run(["git", "ls-remote", url], capture_output=True)
                 .returncode == 0, timeout=15)
        yield url
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait()


def start_reactor(town: Path, log: Path) -> subprocess.Popen[bytes]:
    """`gt reactor run` in its own process session, its output appended to `log`; returns
    once `gt reactor status` says it runs."""
    handle = open(log, "ab")  # noqa: SIM115 - the process owns it until it exits
    process = subprocess.Popen([*GT, "reactor", "run"], cwd=town, stdout=handle,
                               stderr=subprocess.STDOUT, start_new_session=True)
    wait_for(lambda: json.loads(gt(town, "reactor", "status", "--json").stdout)["running"])
    return process


def idle_agents(town: Path) -> None:
    """Make the town's agents sleep on their work: what a test that looks at a hook after a
    sling needs (the scripted runtime defers a bead with no script at once)."""
    gt(town, "config", "agent", "set", "idle",
       f"{sys.executable} -c 'import time; time.sleep(120)'", "--prompt", "none")
    gt(town, "config", "default-agent", "idle")


def town_with_remote(base: Path) -> tuple[Path, Path]:
    """The town `base/east`, installed with the empty bare remote `base/town.git` for the
    town, and the rig `proj` (prefix pj) cloned from the bare `base/proj.git`: what a second
    machine joins. Returns the town and its remote."""
    shared = base / "town.git"
    run(["git", "init", "-q", "--bare", str(shared)], base)
    origin = base / "proj.git"
    run(["git", "clone", "-q", "--bare", str(make_project(base / "seed")), str(origin)], base)
    east = base / "east"
    gt(base, "install", str(east), "--no-tmux", "--remote", str(shared))
    gt(east, "rig", "add", "proj", str(origin), "--prefix", "pj")
    return east, shared

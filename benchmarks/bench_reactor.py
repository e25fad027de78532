"""Reactor latency: a ledger commit that hooks work on a live agent, to the nudge in its pane.

A real town (tmux sessions): 3 rigs with 10 crew members each, every crew agent running a
tiny listener runtime in its tmux pane that appends each line it reads from its terminal,
stamped with `time.time_ns()`, to a file of its own. `gt reactor run` runs as a subprocess.
Each event is one in-process ledger commit (`Ledger.update_many`) that sets an agent bead's
`hook_bead` to a fresh bead and its `agent_state` to working; the reactor sees the ref move,
reads the event and nudges the live agent ("You have work on your hook: ...") with tmux
send-keys. Latency = the listener's arrival stamp - a stamp taken just before the commit.
Events go one at a time (the next one 50 ms after the previous nudge arrived), so this is
latency, not queueing. Targets: p50 <= 25 ms, p99 <= 100 ms over 200 events.

Then the reactor sits idle for 10 s: its CPU (utime + stime from /proc, as a percentage of
one core; target < 1%) and resident memory (VmRSS; target < 80 MB).

Baselines, measured in the same run, so the table shows where the time goes:
- ledger write: how long the timed `update_many` call itself takes (inside the latency);
- ref -> watchdog: a pygit2 ref update in a scratch repository to the watchdog event on it
  (the same observer kind and watches as the reactor's);
- raw tmux: one `tmux send-keys -l <nudge> ; send-keys Enter` to the listener's arrival;
- backend send: the product's `TmuxBackend.send` (is_live, capture-pane before, send-keys,
  capture-pane until the text shows, Enter) called in-process, to the listener's arrival.
The latency rows compare against "raw parts" = ledger write + ref -> watchdog + raw tmux
(medians): what a reactor with no overhead of its own would take.

`--quick`: 1 rig, 5 agents, 40 events.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pygit2
from common import Fixtures, Row, arguments, median, percentile, print_table
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from beads.ledger import Ledger, NewBead
from gt.agents import Address
from gt.sessions.tmux import TmuxBackend
from gt.town import Town

P50_TARGET_MS = 25.0
P99_TARGET_MS = 100.0
CPU_TARGET_PCT = 1.0
RSS_TARGET_MB = 80.0
NUDGE = "You have work on your hook: run `gt prime`."
GAP_S = 0.05
IDLE_S = 10.0
ARRIVAL_TIMEOUT_S = 10.0
GT = [sys.executable, "-m", "gt"]
ACTOR = "bench"

LISTENER = """\
import os, sys, time
name = os.environ["GT_AGENT"].replace("/", "_")
with open(os.path.join(sys.argv[1], name + ".txt"), "a", buffering=1) as out:
    out.write(f"{time.time_ns()} ready\\n")
    while True:
        line = sys.stdin.readline()
        stamp = time.time_ns()
        if not line:
            break
        out.write(f"{stamp} {line.rstrip()}\\n")
"""


# ----------------------------------------------------------------- the town


def clean_env() -> dict[str, str]:
    """This environment without gt's and bd's variables: run from inside an agent session,
    GT_TOWN would point every command at that town, GT_NO_TMUX would drop tmux."""
    return {key: value for key, value in os.environ.items()
            if not key.startswith(("GT_", "BD_"))}


def gt(cwd: Path, *args: str) -> str:
    result = subprocess.run([*GT, *args], cwd=cwd, capture_output=True, text=True,
                            check=False, timeout=120, env=clean_env())
    if result.returncode != 0:
        raise RuntimeError(f"gt {' '.join(args)} failed ({result.returncode}): "
                           f"{result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def make_project(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "app.py").write_text("VALUE = 1\n")
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=bench", "-c", "user.email=bench@example.com",
                  "commit", "-q", "-m", "initial"]):
        subprocess.run(["git", *argv], cwd=path, check=True, capture_output=True)
    return path


@dataclass
class Agent:
    """A crew member with a live listener session."""

    address: Address
    bead_id: str
    heard: Path
    offset: int = 0

    def arrivals(self) -> list[tuple[int, str]]:
        """Lines heard since the last call: (time_ns, text)."""
        try:
            with open(self.heard, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n") + 1
        self.offset += end
        out = []
        for line in data[:end].decode().splitlines():
            stamp, _, text = line.partition(" ")
            out.append((int(stamp), text))
        return out

    def wait_for(self, needle: str, timeout: float = ARRIVAL_TIMEOUT_S) -> int:
        """The arrival stamp of the next line containing `needle` (polling its file)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for stamp, text in self.arrivals():
                if needle in text:
                    return stamp
            time.sleep(0.001)
        raise RuntimeError(f"{self.address} heard no {needle!r} within {timeout:g} s")


@dataclass
class BenchTown:
    root: Path
    rigs: dict[str, Path] = field(default_factory=dict)  # rig name -> ledger git dir
    agents: list[Agent] = field(default_factory=list)

    @property
    def socket(self) -> str:
        return Town(self.root).socket


def build_town(base: Path, rig_count: int, per_rig: int) -> BenchTown:
    """The town, its rigs and crew, each crew agent's listener live in tmux."""
    root = base / "town"
    heard_dir = base / "heard"
    heard_dir.mkdir(parents=True)
    script = base / "listener.py"
    script.write_text(LISTENER)
    gt(base, "install", str(root))
    town = BenchTown(root)
    gt(root, "config", "agent", "set", "listener",
       shlex.join([sys.executable, str(script), str(heard_dir)]), "--prompt", "none")
    for r in range(rig_count):
        name, prefix = f"rig{r}", f"r{r}"
        gt(root, "rig", "add", name, str(make_project(base / f"src-{name}")), "--prefix",
           prefix)
        town.rigs[name] = root / name / ".repo.git"
        for c in range(per_rig):
            address = Address("crew", name, f"c{c}")
            gt(root, "crew", "add", f"c{c}", "--rig", name)
            town.agents.append(Agent(address, address.bead_id(prefix),
                                     heard_dir / (str(address).replace("/", "_") + ".txt")))
    for agent in town.agents:
        gt(root, "session", "restart", str(agent.address), "--agent", "listener")
    for agent in town.agents:
        agent.wait_for("ready", timeout=30)
    return town


def start_reactor(town: BenchTown, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as handle:
        process = subprocess.Popen([*GT, "reactor", "run"], cwd=town.root, stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   env=clean_env())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = json.loads(gt(town.root, "reactor", "status", "--json"))
        if status.get("running"):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.05)
    stop_process(process)
    raise RuntimeError(f"the reactor did not start; its log:\n{log.read_text()[-2000:]}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def kill_tmux(root: Path) -> None:
    """Stop the town's tmux server (every agent session), if the town got that far, and
    remove its socket file (kill-server leaves it behind)."""
    if (root / "town.toml").is_file():
        socket = Town(root).socket
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True,
                       check=False)
        tmux_dir = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
        (tmux_dir / socket).unlink(missing_ok=True)


# ----------------------------------------------------------------- measurements


def reactor_latencies(town: BenchTown, events: int) -> tuple[list[float], list[float]]:
    """(commit -> nudge arrival, ledger write) in ms, one event at a time."""
    ledgers = {name: Ledger(path, ACTOR) for name, path in town.rigs.items()}
    work: dict[str, list[str]] = {}
    for name, ledger in ledgers.items():
        ledger.db()
        work[name] = [b["id"] for b in ledger.create_many(
            [NewBead(title=f"work {n}") for n in range(events)])]
    time.sleep(0.5)  # let the reactor handle the creates before timing starts
    rng = random.Random(42)
    order = [rng.choice(town.agents) for _ in range(events)]
    latencies: list[float] = []
    writes: list[float] = []
    for agent in order:
        rig = str(agent.address.rig)
        bead = work[rig].pop()
        agent.arrivals()
        t0 = time.time_ns()
        ledgers[rig].update_many(f"hook {bead} on {agent.address}",
                                 {agent.bead_id: {"hook_bead": bead,
                                                  "agent_state": "working"}})
        written = time.time_ns()
        arrived = agent.wait_for("work on your hook")
        latencies.append((arrived - t0) / 1e6)
        writes.append((written - t0) / 1e6)
        time.sleep(GAP_S)
    return latencies, writes


def raw_tmux(town: BenchTown, agent: Agent, rounds: int) -> list[float]:
    """One tmux client call typing the nudge and Enter, to the listener's arrival (ms)."""
    target = f"={agent.address.session}:"
    tmux = ["tmux", "-L", town.socket]
    samples = []
    for n in range(rounds):
        text = f"raw {n} {NUDGE}"
        agent.arrivals()
        t0 = time.time_ns()
        subprocess.run([*tmux, "send-keys", "-t", target, "-l", "--", text, ";",
                        "send-keys", "-t", target, "Enter"], check=True,
                       stdin=subprocess.DEVNULL, capture_output=True)
        samples.append((agent.wait_for(f"raw {n} ") - t0) / 1e6)
        time.sleep(GAP_S)
    return samples


def backend_send(town: BenchTown, agent: Agent, rounds: int) -> list[float]:
    """The product's TmuxBackend.send, in-process, to the listener's arrival (ms)."""
    backend = TmuxBackend(town.socket, Town(town.root).state_dir)
    samples = []
    for n in range(rounds):
        agent.arrivals()
        t0 = time.time_ns()
        if not backend.send(agent.address.session, f"send {n} {NUDGE}"):
            raise RuntimeError("TmuxBackend.send did not confirm the text")
        samples.append((agent.wait_for(f"send {n} ") - t0) / 1e6)
        time.sleep(GAP_S)
    return samples


class _Stamp(FileSystemEventHandler):
    def __init__(self) -> None:
        self.when = 0
        self.fired = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if not self.fired.is_set():
            self.when = time.time_ns()
            self.fired.set()


def ref_to_watchdog(base: Path, rounds: int) -> list[float]:
    """A pygit2 ref update to the first watchdog event on the git dir (ms)."""
    path = base / "watch-repo"
    repo = pygit2.init_repository(str(path), bare=True)
    signature = pygit2.Signature(ACTOR, f"{ACTOR}@example.com")
    tree = repo.TreeBuilder().write()
    commits = [repo.create_commit(None, signature, signature, f"c{n}", tree, [])
               for n in range(2)]
    repo.references.create("refs/heads/beads", commits[0])
    (path / "refs").mkdir(exist_ok=True)
    stamp = _Stamp()
    observer = Observer()
    observer.schedule(stamp, str(path), recursive=False)
    observer.schedule(stamp, str(path / "refs"), recursive=True)
    observer.start()
    samples = []
    try:
        time.sleep(0.2)
        for n in range(rounds):
            stamp.fired.clear()
            t0 = time.time_ns()
            repo.references.create("refs/heads/beads", commits[(n + 1) % 2], force=True)
            if not stamp.fired.wait(ARRIVAL_TIMEOUT_S):
                raise RuntimeError("watchdog saw no event for a ref update")
            samples.append((stamp.when - t0) / 1e6)
            time.sleep(GAP_S)
    finally:
        observer.stop()
        observer.join(timeout=2)
    return samples


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks."""
    with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def memory_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {key} for pid {pid}")


def idle_cpu(pid: int, seconds: float) -> float:
    """Percent of one core the process used over `seconds` of idleness."""
    ticks, started = cpu_ticks(pid), time.monotonic()
    time.sleep(seconds)
    used = (cpu_ticks(pid) - ticks) / os.sysconf("SC_CLK_TCK")
    return used / (time.monotonic() - started) * 100


# ----------------------------------------------------------------- the run


def run(args: argparse.Namespace, fixtures: Fixtures) -> list[Row]:
    if shutil.which("tmux") is None:
        print("bench_reactor: tmux is not installed, skipped", file=sys.stderr)
        return []
    rig_count, per_rig, events = (1, 5, 40) if args.quick else (3, 10, 200)
    rounds = 20 if args.quick else 50
    base = fixtures.scratch()
    base.mkdir(parents=True)
    reactor: subprocess.Popen[bytes] | None = None
    try:
        town = build_town(base, rig_count, per_rig)
        watchdog_ms = ref_to_watchdog(base, rounds)
        tmux_ms = raw_tmux(town, town.agents[0], rounds)
        send_ms = backend_send(town, town.agents[-1], rounds)
        reactor = start_reactor(town, base / "reactor.log")
        latencies, writes = reactor_latencies(town, events)
        time.sleep(1.0)
        cpu = idle_cpu(reactor.pid, IDLE_S)
        rss = memory_kb(reactor.pid, "VmRSS") / 1024
        peak = memory_kb(reactor.pid, "VmHWM") / 1024
    finally:
        if reactor is not None:
            stop_process(reactor)
        kill_tmux(base / "town")
    write = median(writes)
    watch = median(watchdog_ms)
    raw = median(tmux_ms)
    parts = write + watch + raw
    scale = f"{len(town.agents)} agents/{rig_count} rigs, {events} events"
    return [
        Row("reactor", "ledger write (update_many)", write, "ms"),
        Row("reactor", "pygit2 ref update -> watchdog event", watch, "ms"),
        Row("reactor", "raw tmux send-keys -> listener", raw, "ms"),
        Row("reactor", "TmuxBackend.send -> listener", median(send_ms), "ms", raw,
            "raw tmux"),
        Row("reactor", f"commit -> nudge p50 ({scale})", percentile(latencies, 50), "ms",
            parts, "raw parts", f"<= {P50_TARGET_MS:g} ms",
            percentile(latencies, 50) <= P50_TARGET_MS),
        Row("reactor", "commit -> nudge p99", percentile(latencies, 99), "ms", parts,
            "raw parts", f"<= {P99_TARGET_MS:g} ms",
            percentile(latencies, 99) <= P99_TARGET_MS),
        Row("reactor", "commit -> nudge max", max(latencies), "ms", parts, "raw parts"),
        Row("reactor", f"idle CPU over {IDLE_S:g} s", cpu, "%", None, "",
            f"< {CPU_TARGET_PCT:g}%", cpu < CPU_TARGET_PCT),
        Row("reactor", "resident memory (VmRSS)", rss, "MB", None, "",
            f"< {RSS_TARGET_MB:g} MB", rss < RSS_TARGET_MB),
        Row("reactor", "peak resident memory (VmHWM)", peak, "MB"),
    ]


def main(argv: list[str] | None = None) -> None:
    from run_all import machine_line

    args = arguments(__doc__, argv)
    with Fixtures() as fixtures:
        tmux = subprocess.run(["tmux", "-V"], capture_output=True, text=True,
                              check=False).stdout.strip()
        print(f"{machine_line(fixtures)} | {tmux}", flush=True)
        rows = run(args, fixtures)
        print_table(rows, "reactor: ledger commit -> nudge in a live tmux pane")


if __name__ == "__main__":
    main(sys.argv[1:])

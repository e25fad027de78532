"""Supervision at 30 scripted polecats in tmux: death to successor, stall to nudge, idle cost.

A real town: one rig, 30 polecats each slung a bead whose script hangs (so every session,
successors included, sits working on its hook), the reactor (which runs the Witness) live.

- death -> successor running: `tmux kill-session` of a polecat with work hooked, to its
  successor session live (a new pid in its record, the session on the server), 20 kills of
  distinct polecats (a second restart of one agent would wait out its backoff). Baseline: a
  bare `tmux new-session -d` on a server of its own, to `has-session` answering.
- stall -> nudge: with `stall_after` 4 s and the timer pass every second, 10 more polecats are
  killed; each successor starts, falls silent, and is nudged. The latency is how long after
  the agent became stalled (its last activity + `stall_after`) the Witness judged it, read
  from the nudge event's evidence in the ledger.
- idle: the reactor's CPU (% of one core) over one full timer period (15 s) and its resident
  memory, with the 30 agents working and nothing happening.

`--quick`: 10 polecats, 5 kills, 3 stalls.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench_reactor import (
    BenchTown,
    clean_env,
    gt,
    idle_cpu,
    kill_tmux,
    make_project,
    memory_kb,
    start_reactor,
    stop_process,
)
from common import Fixtures, Row, arguments, median, percentile, print_table

from beads.ledger import Ledger
from gt.agents import Address
from gt.town import Town

P50_TARGET_S = 2.0
CPU_TARGET_PCT = 1.0
STALL_AFTER_S = 4.0
IDLE_S = 15.0


def build_town(base: Path, polecats: int) -> Path:
    root = base / "town"
    gt(base, "install", str(root))
    gt(root, "rig", "add", "proj", str(make_project(base / "src")), "--prefix", "pj")
    town = Town(root)
    town.settings.supervision.stall_after = 3600.0
    town.settings.supervision.spawn_grace = 20.0
    town.save("benchmark thresholds")
    script = json.dumps({"script": {"faults": {"hang": 3600},
                                    "edits": [{"op": "write", "path": "x.txt",
                                               "content": "x\n"}]}})
    for n in range(polecats):
        out = subprocess.run([sys.executable, "-m", "beads", "create", f"task {n}", "--metadata",
                              script, "--json"], cwd=root / "proj", capture_output=True,
                             text=True, check=True, env=clean_env())
        gt(root, "sling", json.loads(out.stdout)["id"], "proj", "--no-convoy")
    return root


def polecat_sessions(root: Path) -> list[str]:
    return sorted(n for n in Town(root).backend().names() if n.startswith("gt-proj-"))


def record_pid(root: Path, session: str) -> int | None:
    path = Town(root).state_dir / "tmux" / f"{session}.json"
    try:
        return int(json.loads(path.read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def wait_working(root: Path, count: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = json.loads(gt(root, "polecat", "list", "--json"))
        if sum(s["state"] == "working" for s in states) >= count:
            return
        time.sleep(0.5)
    raise RuntimeError("the polecats did not all come up working")


def kill_and_time(root: Path, session: str, timeout: float = 30.0) -> float:
    """Seconds from `tmux kill-session` to the successor's session live with a new pid."""
    socket = Town(root).socket
    before = record_pid(root, session)
    started = time.monotonic()
    subprocess.run(["tmux", "-L", socket, "kill-session", "-t", f"={session}"], check=True,
                   capture_output=True)
    while time.monotonic() - started < timeout:
        pid = record_pid(root, session)
        if pid is not None and pid != before and subprocess.run(
                ["tmux", "-L", socket, "has-session", "-t", f"={session}"],
                capture_output=True).returncode == 0:
            return time.monotonic() - started
        time.sleep(0.01)
    raise RuntimeError(f"{session} had no successor within {timeout:g} s")


def bare_tmux_start(base: Path, rounds: int) -> list[float]:
    socket = f"gt-bench-bare-{os.getpid()}"
    samples = []
    try:
        for n in range(rounds):
            started = time.monotonic()
            subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-s", f"s{n}", "sleep",
                            "600"], check=True, capture_output=True)
            while subprocess.run(["tmux", "-L", socket, "has-session", "-t", f"=s{n}"],
                                 capture_output=True).returncode != 0:
                time.sleep(0.001)
            samples.append(time.monotonic() - started)
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
    return samples


def hook_kept(root: Path, session: str) -> bool:
    name = session.removeprefix("gt-proj-")
    bead = Ledger(root / "proj" / ".repo.git").get(
        Address("polecat", "proj", name).bead_id("pj"))
    return bool(bead.get("hook_bead"))


def stall_lateness(root: Path, sessions: list[str], timeout: float = 60.0) -> list[float]:
    """For each session's agent, how late its first nudge after its restart came after the
    successor became stalled (s); nudges before the restart (it was quiet already) are not
    counted."""
    deadline = time.monotonic() + timeout
    found: dict[str, float] = {}
    while len(found) < len(sessions) and time.monotonic() < deadline:
        for session in sessions:
            if session in found:
                continue
            address = Address("polecat", "proj", session.removeprefix("gt-proj-"))
            ledger = Ledger(root / "proj" / ".repo.git")
            restarted = False
            for comment in ledger.get(address.bead_id("pj")).get("comments", []):
                text = comment["text"]
                restarted = restarted or text.startswith("supervisor restart")
                if restarted and text.startswith("supervisor nudge"):
                    evidence = json.loads(text.split(": ", 1)[1])["evidence"]
                    ages = [evidence[k] for k in ("output_age", "heartbeat_age", "ledger_age",
                                                  "session_age") if evidence.get(k) is not None]
                    found[session] = min(ages) - STALL_AFTER_S
                    break
        time.sleep(0.5)
    if len(found) < len(sessions):
        raise RuntimeError(f"only {len(found)} of {len(sessions)} stalls were nudged")
    return list(found.values())


def run(args: argparse.Namespace, fixtures: Fixtures) -> list[Row]:
    polecats, kills, stalls = (10, 5, 3) if args.quick else (30, 20, 10)
    base = fixtures.scratch()
    base.mkdir(parents=True)
    reactor = None
    try:
        root = build_town(base, polecats)
        bare = bare_tmux_start(base, kills)
        reactor = start_reactor_at(root, base / "reactor.log")
        wait_working(root, polecats)
        time.sleep(1.0)
        cpu = idle_cpu(reactor.pid, IDLE_S)
        rss = memory_kb(reactor.pid, "VmRSS") / 1024
        sessions = polecat_sessions(root)
        deaths = []
        for session in sessions[:kills]:
            deaths.append(kill_and_time(root, session))
            time.sleep(0.3)
        kept = all(hook_kept(root, s) for s in sessions[:kills])
        stop_process(reactor)
        town = Town(root)
        town.settings.supervision.stall_after = STALL_AFTER_S
        town.settings.supervision.every = 1.0
        town.save("benchmark: short stalls")
        reactor = start_reactor_at(root, base / "reactor.log")
        stalled = sessions[kills:kills + stalls]
        stall_deaths = [kill_and_time(root, session) for session in stalled]
        late = stall_lateness(root, stalled)
    finally:
        if reactor is not None:
            stop_process(reactor)
        kill_tmux(base / "town")
    scale = f"{polecats} polecats, {kills} kills"
    return [
        Row("supervision", "bare tmux new-session -> live", median(bare), "s"),
        Row("supervision", f"death -> successor p50 ({scale})", percentile(deaths, 50), "s",
            median(bare), "bare tmux start", f"<= {P50_TARGET_S:g} s",
            percentile(deaths, 50) <= P50_TARGET_S),
        Row("supervision", "death -> successor p99", percentile(deaths, 99), "s",
            median(bare), "bare tmux start"),
        Row("supervision", "successors kept their hooks", float(kept), "", None, "", "1",
            kept),
        Row("supervision", f"stall -> nudge p50 (stall_after {STALL_AFTER_S:g} s, timer 1 s)",
            percentile(late, 50), "s"),
        Row("supervision", "stall -> nudge max", max(late), "s"),
        Row("supervision", "death -> successor while the Witness nudges (max)",
            max(stall_deaths), "s"),
        Row("supervision", f"reactor idle CPU over {IDLE_S:g} s ({polecats} agents)", cpu, "%",
            None, "", f"< {CPU_TARGET_PCT:g}%", cpu < CPU_TARGET_PCT),
        Row("supervision", "reactor resident memory (VmRSS)", rss, "MB"),
    ]


def start_reactor_at(root: Path, log: Path) -> subprocess.Popen[bytes]:
    return start_reactor(BenchTown(root), log)


def main(argv: list[str]) -> None:
    args = arguments(__doc__, argv)
    with Fixtures() as fixtures:
        print_table(run(args, fixtures), "supervision: 30 polecats in tmux")


if __name__ == "__main__":
    main(sys.argv[1:])

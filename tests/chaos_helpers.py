"""A chaos run, shared by the bounded CI test (`tests/test_chaos.py`) and the long run at 30
agents (`benchmarks/bench_chaos.py`).

A tmux town of scripted polecats works one convoy while a seeded schedule strikes:
- every `pause` seconds a live polecat: its tmux session killed, or SIGKILL of its pane's
  process or of its runtime (the pane's child);
- every `machinery_every` seconds the next of a seeded cycle of the machinery: SIGKILL of
  the reactor, SIGKILL of the Deacon, SIGKILL of both at once (neither can then restart the
  other), and `kill-session` of each rig's Refinery;
- `hangs` beads carry a hang fault for their first session (`faults.hang`, `times` 1), so
  their agent falls silent with work hooked and must be nudged, then restarted.

`ChaosRun.check` says what went wrong, one line each (nothing: the run passed): every bead
landed (closed, its file on the rig's main), no supervisor action rested on evidence of a
live, working agent, no agent was parked, every polecat killed with work hooked was
restarted (or had handed its work in first), every hung agent was nudged or restarted after
its silence (or killed first), every kill of the reactor and of the Deacon was
followed by a recorded restart and the town's machinery runs at the end, every recovery ref
an action recorded exists, and every repository is fsck-clean. `ChaosRun.numbers` is what
the benchmark reports.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from beads import Ledger
from beads.creation import NewBead
from beads.errors import BeadsError
from beads.query import Filters
from gt.agents import Address
from gt.reactor.lock import running_pid
from gt.supervision.deacon import deacon_pid
from gt.town import Town
from gt.work.sling import sling
from tests.gt_helpers import gt, make_project

# Short timers, so that a run takes minutes: deaths are seen at once (tmux's hook), the
# rest by a timer pass every second; restarts back off from 1 s to 4 s; no crash loop.
LIMITS: dict[str, float] = {"spawn_grace": 6, "stall_after": 10, "every": 1,
                            "restart_backoff": 1, "restart_backoff_max": 4,
                            "crash_loop_restarts": 50}
POLECAT_KILLS = ("kill-session", "sigkill-pane", "sigkill-runtime")
ACTING = ("restart", "nudge", "stop", "reap", "park")
HANG_S = 3600  # a hung agent never wakes by itself
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Plan:
    """One chaos run: its seed, its town (rigs as (name, prefix)), its work and schedule."""

    seed: int
    polecats: int  # max_polecats, town-wide and per rig
    beads: int  # one convoy, spread over the rigs in turn
    chaos_s: float  # how long the schedule strikes
    machinery_every: float  # one kill of the machinery this often
    hangs: int  # beads whose first session hangs
    land_timeout_s: float  # after the chaos, for the convoy to land
    rigs: tuple[tuple[str, str], ...] = (("proj", "pj"),)
    pause: tuple[float, float] = (1.0, 3.0)  # between two strikes at polecats
    work_seconds: float = 1.5
    limits: dict[str, float] = field(default_factory=lambda: dict(LIMITS))


@dataclass(frozen=True)
class Fault:
    at: float  # Unix time just before the signal
    kind: str  # one of POLECAT_KILLS, or reactor, deacon, reactor+deacon, refinery
    session: str
    hook: str | None = None  # the bead on a polecat's hook just before


@dataclass(frozen=True)
class Work:
    rig: str
    bead: str
    number: int  # the bead writes chaos/<number>.txt


def timestamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def build_town(base: Path, plan: Plan) -> Path:
    """A town at `base/town` with the plan's rigs, short supervision timers and capacity."""
    root = base / "town"
    gt(base, "install", str(root))
    for rig, prefix in plan.rigs:
        gt(root, "rig", "add", rig, str(make_project(base / f"src-{rig}")), "--prefix", prefix)
    town = Town(root)
    for key, value in plan.limits.items():
        setattr(town.settings.supervision, key, value)
    town.settings.max_polecats = plan.polecats
    town.save("chaos: short supervision timers, capacity")
    for rig, _ in plan.rigs:
        gt(root, "rig", "config", rig, "max_polecats", str(plan.polecats))
    return root


def take_down(root: Path) -> None:
    gt(root, "down", check=False)
    subprocess.run(["tmux", "-L", Town(root).socket, "kill-server"], capture_output=True)


def rig_ledger(root: Path, rig: str, actor: str | None = None) -> Ledger:
    return Ledger(root / rig / ".repo.git", actor) if actor else Ledger(root / rig / ".repo.git")


def create_work(root: Path, rig: str, numbers: list[int], hung: frozenset[int] = frozenset(),
                work_seconds: float = 1.5) -> list[str]:
    """One bead per number, in one ledger commit, each writing a file of its own; those in
    `hung` hang in their first session."""
    specs = []
    for n in numbers:
        script: dict[str, Any] = {"work_seconds": work_seconds, "edits": [
            {"op": "write", "path": f"chaos/{n}.txt", "content": f"bead {n}\n"}]}
        if n in hung:
            script["faults"] = {"hang": HANG_S, "times": 1}
        specs.append(NewBead(title=f"chaos {n}", fields={"metadata": {"script": script}}))
    return [bead["id"] for bead in rig_ledger(root, rig, "overseer").create_many(specs)]


def supervisor_actions(ledger: Ledger) -> list[tuple[str, dict[str, Any]]]:
    """(agent, action) for every supervisor action recorded on the ledger's agent beads."""
    found = []
    for bead in ledger.list(Filters(types=["agent"]), sort="id", limit=None):
        for comment in bead.get("comments", []):
            if comment["text"].startswith("supervisor "):
                found.append((bead["title"], json.loads(comment["text"].split(": ", 1)[1])))
    return found


def rested_on_death_or_silence(action: dict[str, Any], stall_after: float) -> bool:
    """Whether the action's evidence shows the agent was not a live, working agent."""
    evidence, state = action["evidence"], action["state"]
    if state == "dead":
        gone = not evidence["session_live"] and not evidence["process_alive"]
        return gone or not evidence["runtime_alive"]
    if state == "stalled":
        ages = [evidence[k] for k in ("output_age", "heartbeat_age", "ledger_age", "session_age")
                if evidence.get(k) is not None]
        return all(age >= stall_after for age in ages)
    return state in ("idle", "done") and not evidence.get("hook")


def fsck_clean(git_dir: Path) -> bool:
    return subprocess.run(["git", "--git-dir", str(git_dir), "fsck", "--strict"],
                          capture_output=True).returncode == 0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(word) for word in text.split()]


def _proc_sample(pid: int) -> tuple[int, int] | None:
    """(CPU ticks used, resident KB) of a live process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    rss = next((int(line.split()[1]) for line in status.splitlines()
                if line.startswith("VmRSS:")), 0)
    return int(stat[11]) + int(stat[12]), rss


class Watch(threading.Thread):
    """Samples, every half second while the run lasts: each session's start (pid and time,
    from its tmux record), and the supervisors' CPU and memory (the reactor, the Deacon and
    each Refinery, through every incarnation)."""

    def __init__(self, root: Path, refineries: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.town = Town(root)
        self.records = self.town.state_dir / "tmux"
        self.refineries = refineries  # session -> rig
        self.stopping = threading.Event()
        self.starts: set[tuple[str, int, float]] = set()
        self.cpu: dict[tuple[str, int], int] = {}  # (role, pid) -> ticks last seen
        self.rss: dict[str, int] = {}  # role -> max KB

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            self.sample()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)

    def sample(self) -> None:
        for path in self.records.glob("*.json"):
            try:
                record = json.loads(path.read_text())
                self.starts.add((path.stem, int(record["pid"]), timestamp(record["started_at"])))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        pids = {"reactor": running_pid(self.town), "deacon": deacon_pid(self.town)}
        panes = self.town.backend().panes()  # type: ignore[attr-defined]
        for session in self.refineries:
            pane = panes.get(session)
            pids[f"refinery {self.refineries[session]}"] = \
                (_children(pane.pid) or [None])[0] if pane else None
        for role, pid in pids.items():
            sample = _proc_sample(pid) if pid and pid > 0 else None
            if sample is not None:
                self.cpu[(role, pid)] = sample[0]
                self.rss[role] = max(self.rss.get(role, 0), sample[1])

    def successor_after(self, session: str, at: float) -> float | None:
        """When the first session of that name started after `at` (Unix time), if one did."""
        return min((started for name, _, started in self.starts
                    if name == session and started > at), default=None)

    def cpu_seconds(self, role: str) -> float:
        return sum(ticks for (name, _), ticks in self.cpu.items() if name == role) / TICKS


class ChaosRun:
    def __init__(self, root: Path, plan: Plan) -> None:
        self.root = root
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.work: list[Work] = []
        self.hung: set[str] = set()
        self.faults: list[Fault] = []
        self.convoy = ""
        self.refineries = {Address("refinery", rig).session: rig for rig, _ in plan.rigs}
        self.watch = Watch(root, self.refineries)
        self.slung_at = self.chaos_over = self.landed_at = 0.0

    # ------------------------------------------------------------------ the run

    def run(self) -> bool:
        """Make the work, bring the town up, sling it all, strike, wait for the convoy to
        land; whether it landed in time."""
        self.create()
        gt(self.root, "up")
        self.watch.start()
        try:
            for item in self.work:
                sling(Town(self.root), item.bead, item.rig, convoy=False)
            self.slung_at = time.monotonic()
            self.strike()
            self.chaos_over = time.monotonic()
            landed = self.wait_landed()
            self.landed_at = time.monotonic()
            self.settle()
        finally:
            self.watch.stop()
        return landed

    def create(self) -> None:
        plan = self.plan
        hung = frozenset(self.rng.sample(range(plan.beads), plan.hangs))
        for index, (rig, _) in enumerate(plan.rigs):
            numbers = list(range(index, plan.beads, len(plan.rigs)))
            ids = create_work(self.root, rig, numbers, hung, plan.work_seconds)
            self.work += [Work(rig, bead, n) for bead, n in zip(ids, numbers, strict=True)]
            self.hung |= {bead for bead, n in zip(ids, numbers, strict=True) if n in hung}
        created = gt(self.root, "convoy", "create", "chaos", *(w.bead for w in self.work),
                     "--json")
        self.convoy = json.loads(created.stdout)["id"]

    def strike(self) -> None:
        """The seeded schedule, for `chaos_s` seconds."""
        plan, rng = self.plan, self.rng
        targets = ["reactor", "deacon", "reactor+deacon",
                   *(f"refinery {rig}" for rig, _ in plan.rigs)]
        cycle: list[str] = []
        started = time.monotonic()
        due = plan.machinery_every
        while time.monotonic() - started < plan.chaos_s:
            time.sleep(rng.uniform(*plan.pause))
            if time.monotonic() - started >= due:
                if not cycle:
                    cycle = rng.sample(targets, len(targets))
                fault = self.kill_machinery(cycle[0])
                if fault is not None:  # else it is still coming back: tried again next time
                    cycle.pop(0)
                    self.faults.append(fault)
                    due += plan.machinery_every
                    continue
            fault = self.kill_polecat()
            if fault is not None:
                self.faults.append(fault)

    def polecat_sessions(self) -> list[str]:
        rigs = tuple(f"gt-{rig}-" for rig, _ in self.plan.rigs)
        return sorted(name for name in Town(self.root).backend().names()
                      if name.startswith(rigs) and name not in self.refineries)

    def hook_of(self, session: str) -> str | None:
        for rig, prefix in self.plan.rigs:
            if session.startswith(f"gt-{rig}-"):
                address = Address("polecat", rig, session.removeprefix(f"gt-{rig}-"))
                try:
                    return rig_ledger(self.root, rig).get(
                        address.bead_id(prefix)).get("hook_bead") or None
                except BeadsError:  # an agent bead not made yet has no hook
                    return None
        return None

    def kill_polecat(self) -> Fault | None:
        """Strike a random live polecat: kill its session, its pane's process or its runtime."""
        sessions = self.polecat_sessions()
        if not sessions:
            return None
        session = self.rng.choice(sessions)
        how = self.rng.choice(POLECAT_KILLS)
        hook = self.hook_of(session)
        town = Town(self.root)
        at = time.time()
        if how == "kill-session":
            subprocess.run(["tmux", "-L", town.socket, "kill-session", "-t", f"={session}"],
                           capture_output=True)
            return Fault(at, how, session, hook)
        pane = town.backend().panes().get(session)  # type: ignore[attr-defined]
        if pane is None:
            return None
        pid = pane.pid if how == "sigkill-pane" else next(iter(_children(pane.pid)), None)
        if pid is None:
            return None
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return None
        return Fault(at, how, session, hook)

    def kill_machinery(self, target: str) -> Fault | None:
        """SIGKILL the reactor, the Deacon or both, or kill a Refinery's session; None when
        the target is not running (yet)."""
        town = Town(self.root)
        if target.startswith("refinery "):
            session = Address("refinery", target.split()[1]).session
            if not town.backend().is_live(session):
                return None
            at = time.time()
            subprocess.run(["tmux", "-L", town.socket, "kill-session", "-t", f"={session}"],
                           capture_output=True)
            return Fault(at, "refinery", session)
        reactor, deacon = running_pid(town), deacon_pid(town)
        pids = {"reactor": [reactor], "deacon": [deacon], "reactor+deacon": [deacon, reactor]}
        chosen = pids[target]
        if not all(pid and pid > 0 for pid in chosen):
            return None
        at = time.time()
        for pid in chosen:
            assert pid is not None
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return Fault(at, target, target)

    def landed(self) -> bool:
        status = gt(self.root, "convoy", "status", self.convoy, "--json", check=False)
        return status.returncode == 0 and json.loads(status.stdout)["status"] == "closed"

    def wait_landed(self) -> bool:
        deadline = time.monotonic() + self.plan.land_timeout_s
        while time.monotonic() < deadline:
            if self.landed():
                return True
            time.sleep(1.0)
        return False

    def settle(self, timeout: float = 60.0) -> None:
        """Wait (up to `timeout`) for what may trail the landing: the Deacon's records of its
        last restarts, and the machinery running again."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (self.machinery_problems() or
                                               self.unrecorded_machinery()):
            time.sleep(0.5)

    # ------------------------------------------------------------------ the checks

    def actions(self) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for rig, _ in self.plan.rigs:
            found += supervisor_actions(rig_ledger(self.root, rig))
        return found

    def machinery_restarts(self) -> list[dict[str, Any]]:
        """The restarts of the reactor, the Deacon and the Refineries, as the Deacon's bead
        records them."""
        ledger = Town(self.root).ledger()
        comments = ledger.get(Address("deacon").bead_id(ledger.prefix)).get("comments", [])
        return [json.loads(c["text"].split(": ", 1)[1]) for c in comments
                if c["text"].startswith("supervisor restart")]

    def unrecorded_machinery(self) -> list[str]:
        """Kills of the reactor or the Deacon with no recorded restart after them."""
        restarts = self.machinery_restarts()
        missing = []
        for fault in self.faults:
            for who, detail in (("reactor", "the reactor restarted"),
                                ("deacon", "the Deacon restarted")):
                if who in fault.kind.split("+") and not any(
                        r["detail"] == detail and timestamp(r["at"]) >= fault.at - 1
                        for r in restarts):
                    missing.append(f"{fault.kind} killed at {fault.at:.1f}: no record of "
                                   f"'{detail}' after it")
        return missing

    def machinery_problems(self) -> list[str]:
        town = Town(self.root)
        problems = []
        if not (running_pid(town) or 0) > 0:
            problems.append("the reactor is not running at the end")
        if not (deacon_pid(town) or 0) > 0:
            problems.append("the Deacon is not running at the end")
        sessions = town.backend()
        problems += [f"{session} is not running at the end" for session in self.refineries
                     if not sessions.is_live(session)]
        return problems

    def check(self) -> list[str]:
        """What went wrong, one line each; empty when the run passed every check."""
        problems = [] if self.landed() else ["the convoy did not land"]
        for item in self.work:
            bead = rig_ledger(self.root, item.rig).get(item.bead)
            if bead["status"] != "closed":
                problems.append(f"{item.bead} is {bead['status']}, not closed")
            shown = subprocess.run(["git", "--git-dir", str(self.root / item.rig / ".repo.git"),
                                    "show", f"main:chaos/{item.number}.txt"],
                                   capture_output=True, text=True)
            if shown.stdout != f"bead {item.number}\n":
                problems.append(f"{item.bead}: its work is not on {item.rig}'s main")
        actions = self.actions()
        stall_after = self.plan.limits["stall_after"]
        problems += [f"{who}: {a['action']} of a live, working agent: {a}" for who, a in actions
                     if a["action"] in ACTING and not rested_on_death_or_silence(a, stall_after)]
        problems += [f"{who}: parked: {a}" for who, a in actions if a["action"] == "park"]
        problems += [f"{f.session} killed ({f.kind}) with {f.hook} hooked: never restarted"
                     for f in self.unrecovered(actions)]
        problems += [f"{bead} hung its agent, which was never nudged, restarted or killed"
                     for bead in self.unseen_hangs(actions)]
        problems += self.unrecorded_machinery() + self.machinery_problems()
        for rig, _ in self.plan.rigs:
            repo = self.root / rig / ".repo.git"
            refs = self.recovery_refs(rig)
            problems += [f"{who}: {a['evidence']['recovery_ref']} recorded but missing"
                         for who, a in actions if a["evidence"].get("recovery_ref")
                         and Address.parse(who).rig == rig
                         and a["evidence"]["recovery_ref"] not in refs]
            if not fsck_clean(repo):
                problems.append(f"{rig}'s repository is not fsck-clean")
        if not fsck_clean(self.root / ".git"):
            problems.append("the town's repository is not fsck-clean")
        return problems

    def unrecovered(self, actions: list[tuple[str, dict[str, Any]]]) -> list[Fault]:
        """Polecats killed with work hooked that were neither restarted after the kill nor
        had handed that work in before it."""
        restarts: dict[str, list[float]] = {}
        for who, action in actions:
            if action["action"] == "restart":
                restarts.setdefault(Address.parse(who).session, []).append(
                    timestamp(action["at"]))
        rigs = {item.bead: item.rig for item in self.work}
        left = []
        for fault in self.polecat_faults():
            if not fault.hook or fault.hook not in rigs:
                continue
            restarted = any(t >= fault.at - 1.0 for t in restarts.get(fault.session, []))
            requested = rig_ledger(self.root, rigs[fault.hook]).get(fault.hook).get(
                "mr_requested_at")
            finished_first = requested is not None and timestamp(requested) <= fault.at + 1.0
            if not (restarted or finished_first):
                left.append(fault)
        return left

    def unseen_hangs(self, actions: list[tuple[str, dict[str, Any]]]) -> set[str]:
        """Hung beads whose agent no supervisor action judged stalled and no kill struck."""
        seen = {a["evidence"].get("hook") for _, a in actions
                if a["state"] == "stalled" and a["action"] in ("nudge", "restart")}
        seen |= {f.hook for f in self.polecat_faults()}
        return self.hung - seen

    def polecat_faults(self) -> list[Fault]:
        return [f for f in self.faults if f.kind in POLECAT_KILLS]

    def recovery_refs(self, rig: str) -> list[str]:
        return subprocess.run(["git", "--git-dir", str(self.root / rig / ".repo.git"),
                               "for-each-ref", "--format=%(refname)", "refs/gt/recovery/"],
                              capture_output=True, text=True, check=True).stdout.split()

    # ------------------------------------------------------------------ the numbers

    def numbers(self) -> dict[str, Any]:
        """What the run did and how fast the town recovered, for a report."""
        actions = self.actions()
        kinds = Counter(f.kind for f in self.faults)
        machinery = Counter(r["detail"] for r in self.machinery_restarts())
        latencies = []
        for fault in self.polecat_faults():
            successor = self.watch.successor_after(fault.session, fault.at) if fault.hook \
                else None
            if successor is not None:
                latencies.append(successor - fault.at)
        escalations = Town(self.root).ledger().list(Filters(labels_all=["escalation"]),
                                                    limit=None)
        elapsed = max(self.landed_at - self.slung_at, 1e-9)
        return {
            "seed": self.plan.seed, "polecats": self.plan.polecats, "beads": len(self.work),
            "rigs": len(self.plan.rigs),
            "land_s": self.landed_at - self.slung_at,
            "land_after_chaos_s": self.landed_at - self.chaos_over,
            "faults": dict(sorted(kinds.items())),
            "polecat_kills_with_work": sum(f.hook is not None for f in self.polecat_faults()),
            "hung_beads": len(self.hung),
            "agent_restarts": sum(a["action"] == "restart" for _, a in actions),
            "stall_restarts": sum(a["action"] == "restart" and a["state"] == "stalled"
                                  for _, a in actions),
            "nudges": sum(a["action"] == "nudge" for _, a in actions),
            "machinery_restarts": dict(sorted(machinery.items())),
            "escalations": len(escalations),
            "recovery_refs": sum(len(self.recovery_refs(rig)) for rig, _ in self.plan.rigs),
            "death_to_successor": sorted(latencies),
            "supervisor_rss_mb": {role: kb / 1024 for role, kb in sorted(self.watch.rss.items())},
            "supervisor_cpu_pct": {role: 100 * self.watch.cpu_seconds(role) / elapsed
                                   for role in sorted(self.watch.rss)},
        }

    def summary(self) -> str:
        n = self.numbers()
        deaths = n["death_to_successor"]
        latency = (f"death -> successor p50 {percentile(deaths, 50):.2f} s, p99 "
                   f"{percentile(deaths, 99):.2f} s ({len(deaths)})" if deaths else
                   "no successor timed")
        return (f"chaos (seed {n['seed']}): faults {n['faults']}, "
                f"{n['polecat_kills_with_work']} polecat kills with work hooked, "
                f"{n['hung_beads']} hung beads; {n['agent_restarts']} agent restarts "
                f"({n['stall_restarts']} after a stall), {n['nudges']} nudges, machinery "
                f"restarts {n['machinery_restarts']}, {n['escalations']} escalations, "
                f"{n['recovery_refs']} recovery refs; {latency}; landed "
                f"{n['land_after_chaos_s']:.1f} s after the chaos, {n['land_s']:.1f} s in all")


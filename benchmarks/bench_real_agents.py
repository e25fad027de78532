"""Real Claude Code in a real town, offline against the scripted model server.

1. Nudges: 100 `gt nudge` commands into one live Claude Code TUI (the Mayor), alternating
   idle and busy: an even nudge finds the agent idle and makes it run `sleep 1`; the odd one
   that follows is sent while that tool call runs, so it is queued and typed at the next idle
   moment by the Stop hook. At the model server every nudge must arrive exactly once as a
   prompt of its own (none lost, none merged into another). Latency: from just before the
   `gt nudge` process starts to the prompt's arrival at the model, p50 and p99, for idle and
   busy nudges apart (a busy nudge's latency includes the rest of the busy turn).
2. Convoy: 10 polecats on Claude Code work a 30-bead convoy to the end (each bead: read the
   hook, write a file, commit, `gt done`; the Refinery merges). Wall time from the first
   sling to the convoy landing, and the share of CPU spent in gt itself: /proc is sampled
   every 50 ms and each process's CPU (utime + stime) is charged to gt (gt, bd and the
   scripted runtime's python: cmdlines naming gt or beads), git, the agent (node: Claude
   Code) or other; short processes are undercounted by at most one sample interval each.

Not part of `run_all.py` (it takes minutes and needs npm): run with `./tasks bench-agents`
(`--only nudges|convoy`). Skipped, saying why, without tmux, npm or Claude Code.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.scripted_model import Reply, Rule, Scenario, ScriptedModel  # noqa: E402

GT = [sys.executable, "-m", "gt"]
BD = [sys.executable, "-m", "beads"]
CLAUDE = ROOT / ".npm-tools" / "node_modules" / ".bin" / "claude"
TOKEN_ENV = "GT_BENCH_MODEL_TOKEN"
TICKS = os.sysconf("SC_CLK_TCK")


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {result.stderr.strip()}")
    return result.stdout


def missing() -> str | None:
    if shutil.which("tmux") is None:
        return "tmux is not installed"
    if not CLAUDE.exists():
        return ("Claude Code is not installed in .npm-tools (`./tasks bench-agents` installs "
                "it when npm is there)" if shutil.which("npm") else "npm is not installed")
    return None


class Town:
    """A scratch town with the rig proj whose claude preset talks to `model`."""

    def __init__(self, base: Path, model: ScriptedModel) -> None:
        self.root = base / "town"
        home = base / "home"
        home.mkdir()
        self.env = {**os.environ, "HOME": str(home), TOKEN_ENV: "scripted",
                    "PATH": f"{CLAUDE.parent}{os.pathsep}{Path(sys.executable).parent}"
                            f"{os.pathsep}{os.environ['PATH']}"}
        for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CONFIG_DIR"):
            self.env.pop(name, None)
        project = base / "proj"
        project.mkdir()
        for argv in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                     ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
                      "commit", "-q", "--allow-empty", "-m", "initial"]):
            run(argv, project, self.env)
        self.gt(base, "install", str(self.root))
        self.gt(self.root, "rig", "add", "proj", str(project), "--prefix", "pj")
        settings = {"base_url": model.url, "offline": "true", "auth_token_env": TOKEN_ENV,
                    "config_dir": "town"}
        if os.geteuid() == 0:
            settings["is_sandbox"] = "true"
        for key, value in settings.items():
            self.gt(self.root, "config", "set", f"runtimes.claude.{key}", value)

    def gt(self, cwd: Path, *args: str) -> str:
        return run([*GT, *args], cwd, self.env)

    def down(self) -> None:
        subprocess.run([*GT, "down"], cwd=self.root, env=self.env, capture_output=True)
        from gt.town import Town as RealTown
        subprocess.run(["tmux", "-L", RealTown(self.root).socket, "kill-server"],
                       capture_output=True)

    def screen_state(self, session: str) -> str | None:
        from gt.town import Town as RealTown
        return RealTown(self.root).backend().screen_state(session)


def wait(predicate, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.02)


# ----------------------------------------------------------------- nudges


def bench_nudges(count: int) -> None:
    busy = Rule(prompt=r"^bench nudge \d+ \(busy\)$", steps=(Reply("Busy.", ("sleep 1",)),),
                done="Done.")
    with tempfile.TemporaryDirectory(prefix="gt-bench-agents-") as scratch, \
            ScriptedModel(Scenario([busy])) as model:
        town = Town(Path(scratch), model)
        try:
            town.gt(town.root, "mayor", "start", "--agent", "claude")
            wait(lambda: model.prompts() != [], 60, "the Mayor's first prompt")
            wait(lambda: town.screen_state("gt-mayor") == "idle", 60, "the Mayor to be idle")
            sent: dict[str, tuple[float, str, float]] = {}
            for number in range(count):
                kind = "busy" if number % 2 == 0 else "queued"
                text = f"bench nudge {number} ({kind})"
                if kind == "busy":
                    wait(lambda: town.screen_state("gt-mayor") == "idle", 30, "idle")
                started = time.time()
                result = json.loads(town.gt(town.root, "nudge", "mayor", text, "--json"))
                sent[text] = (started, result["result"], time.time() - started)
                if kind == "busy":
                    wait(lambda t=text: t in model.prompts(), 30, f"{text!r} at the model")
                    wait(lambda: town.screen_state("gt-mayor") == "busy", 30, "busy")
                else:
                    wait(lambda t=text: t in model.prompts(), 60, f"{text!r} at the model")
        finally:
            town.down()
    prompts = [r for r in model.turns() if r.step == 0 and r.prompt.startswith("bench nudge")]
    counts = {text: sum(r.prompt == text for r in prompts) for text in sent}
    merged = [r.prompt for r in prompts if r.prompt not in sent]
    arrivals = {r.prompt: r.at for r in prompts}
    print(f"nudges: {len(sent)} sent; at the model: {sum(c == 1 for c in counts.values())} "
          f"exactly once, {sum(c == 0 for c in counts.values())} lost, "
          f"{sum(c > 1 for c in counts.values())} twice or more, {len(merged)} merged")
    for kind in ("busy", "queued"):
        group = [t for t in sent if t.endswith(f"({kind})") and t in arrivals]
        late = [(arrivals[t] - sent[t][0]) * 1000 for t in group]
        results = sorted({sent[t][1] for t in group})
        took = statistics.median(sent[t][2] * 1000 for t in group)
        label = "to an idle agent" if kind == "busy" else "to a busy agent"
        print(f"  {label:<18} n={len(late):<3} gt nudge said {'/'.join(results):<17} "
              f"commit-to-prompt p50 {statistics.median(late):7.0f} ms, "
              f"p99 {percentile(late, 99):7.0f} ms (the gt nudge process: p50 {took:.0f} ms)")


# ----------------------------------------------------------------- convoy


class CpuSampler:
    """Samples /proc every 50 ms: the last CPU seen of each process, by kind."""

    def __init__(self) -> None:
        self.last: dict[tuple[int, str], tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @staticmethod
    def kind(cmdline: str) -> str:
        if "/bin/gt" in cmdline or "/bin/bd" in cmdline or " -m gt" in cmdline \
                or " -m beads" in cmdline or "gt.runtimes" in cmdline:
            return "gt"
        if "claude" in cmdline:
            return "agent"
        if cmdline.startswith("git") or "/git " in cmdline or "bin/git" in cmdline:
            return "git"
        return "other"

    def _loop(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit() or int(entry.name) == me:
                    continue
                try:
                    stat = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                    key = (int(entry.name), stat[19])  # pid and start time
                    ticks = int(stat[11]) + int(stat[12])
                    kind = self.last[key][0] if key in self.last else self.kind(
                        Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ")
                        .decode(errors="replace"))
                except (OSError, IndexError, ValueError):
                    continue
                self.last[key] = (kind, ticks)
            self._stop.wait(0.05)

    def __enter__(self) -> CpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def seconds(self, since: dict[tuple[int, str], tuple[str, int]]) -> dict[str, float]:
        out: dict[str, float] = {}
        for key, (kind, ticks) in self.last.items():
            before = since.get(key, (kind, 0))[1]
            out[kind] = out.get(kind, 0.0) + (ticks - before) / TICKS
        return out


def bench_convoy(polecats: int, beads: int) -> None:
    # A new session gets its work with its beacon; a live one (still finishing its last
    # bead) with the wake nudge typed at its next idle moment.
    work = Rule(prompt=r"^\[gas town\] You are proj/polecats/|^You have work on your hook", steps=(
        Reply("Working.", (
            "id=$(gt hook --json | python3 -c 'import json,sys; "
            "print(json.load(sys.stdin)[\"bead\"][\"id\"])') && echo \"done $id\" > "
            "\"work-$id.txt\" && git add . && git commit -qm \"Work $id\"",)),
        Reply("Handing it over.", ("gt done",))), done="Done.")
    with tempfile.TemporaryDirectory(prefix="gt-bench-agents-") as scratch, \
            ScriptedModel(Scenario([work])) as model:
        town = Town(Path(scratch), model)
        rig = town.root / "proj"
        ids = [json.loads(run([*BD, "create", f"Bench task {n}", "--json"], rig,
                              town.env))["id"] for n in range(beads)]
        convoy = json.loads(town.gt(town.root, "convoy", "create", "Bench convoy", *ids,
                                    "--json"))
        convoy_id = convoy.get("id", "") if isinstance(convoy, dict) else ""
        town.gt(town.root, "up")

        def status(bead: str) -> str:
            return json.loads(run([*BD, "show", bead, "--json"], rig, town.env))["status"]

        try:
            with CpuSampler() as sampler:
                time.sleep(0.2)
                before = dict(sampler.last)
                started = time.monotonic()
                waiting, in_flight, done = list(ids), [], []
                while waiting or in_flight:
                    for bead in list(in_flight):
                        if status(bead) == "closed":
                            in_flight.remove(bead)
                            done.append(bead)
                    while waiting and len(in_flight) < polecats:
                        bead = waiting.pop(0)
                        town.gt(town.root, "sling", bead, "proj", "--agent", "claude",
                                "--no-convoy")
                        in_flight.append(bead)
                    if time.monotonic() - started > 900:
                        raise SystemExit(f"convoy not done after 900 s: {len(done)} merged")
                    time.sleep(0.5)
                wall = time.monotonic() - started
                cpu = sampler.seconds(before)
        finally:
            town.down()
    total = sum(cpu.values())
    share = cpu.get("gt", 0.0) / total if total else 0.0
    print(f"convoy {convoy_id}: {beads} beads by at most {polecats} Claude Code polecats, "
          f"all merged in {wall:.1f} s wall ({model.prompts().__len__()} prompts, "
          f"{len(model.turns())} model turns)")
    print("  CPU seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(cpu.items()))
          + f"; gt's share {share:.0%} of {total:.1f} s")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("nudges", "convoy"))
    parser.add_argument("--nudges", type=int, default=100)
    parser.add_argument("--polecats", type=int, default=10)
    parser.add_argument("--beads", type=int, default=30)
    args = parser.parse_args(argv)
    reason = missing()
    if reason:
        print(f"bench_real_agents skipped: {reason}")
        return
    if args.only in (None, "nudges"):
        bench_nudges(args.nudges)
    if args.only in (None, "convoy"):
        bench_convoy(args.polecats, args.beads)


if __name__ == "__main__":
    main(sys.argv[1:])

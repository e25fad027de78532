"""Read latency of whole `bd` processes on a warm cache.

At 20k beads by default, `bd ready --json` and `bd list --json` run as subprocesses in the
repository after one warming run has brought the read cache up to date. Each is timed 60
times (20 with --quick), interleaved with two baselines from the same run: an interpreter
doing nothing (`python -c pass`) and one importing pygit2, so a busy machine slows all of them
alike. Each case reports its median (p50) and its p99 (nearest rank), in ms and as a ratio to
`python -c pass`, and its median minus the interpreter's (what bd itself costs, which a busy
machine inflates least). Target: a median of 35 ms or less per read command (the bar is
absolute: the ratio says how much of it is Python starting).
It also runs `python -X importtime -m beads ready --json` once to check that the warm read
path never imports pygit2, counts the modules it imports beyond those of `python -c pass`,
and reports what importing the full CLI costs.
Processes run as an installed copy would: with bytecode caching on (kept in a scratch
directory), whatever the calling environment says.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import orjson
from common import (
    ACTOR,
    Fixtures,
    Row,
    arguments,
    median,
    percentile,
    pick_sizes,
    print_table,
    size_label,
)

TARGET_MS = 35.0


def bd_command() -> list[str]:
    """The installed `bd` script next to this interpreter, else `python -m beads`."""
    script = Path(sys.executable).parent / "bd"
    return [str(script)] if script.exists() else [sys.executable, "-m", "beads"]


def process_env(pycache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "BD_ACTOR": ACTOR, "PYTHONPYCACHEPREFIX": str(pycache)}


def run_once(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, bytes, bytes]:
    """Wall seconds for one process, with its stdout and stderr."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=True)
    return time.perf_counter() - started, done.stdout, done.stderr


def _imported(stderr: bytes) -> list[tuple[str, int]]:
    """(module, cumulative µs) for each line of `-X importtime` output."""
    out = []
    for line in stderr.decode().splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line[12:].split("|"))
        if cumulative.isdigit():
            out.append((name, int(cumulative)))
    return out


def import_report(cwd: Path, env: dict[str, str]) -> tuple[int, int, float]:
    """For a warm `bd ready`: pygit2 modules it imports, how many modules it imports that
    `python -c pass` does not, and the full CLI's cumulative import ms."""
    command = [sys.executable, "-X", "importtime", "-m", "beads", "ready", "--json"]
    ready = {name for name, _ in _imported(run_once(command, cwd, env)[2])}
    idle = {name for name, _ in
            _imported(run_once([sys.executable, "-X", "importtime", "-c", "pass"], cwd, env)[2])}
    pygit2_modules = sum(1 for name in ready if name.split(".")[0] == "pygit2")
    cli = [sys.executable, "-X", "importtime", "-c", "import beads.cli.main"]
    cli_us = dict(_imported(run_once(cli, cwd, env)[2])).get("beads.cli.main", 0)
    extra = ready - idle - {"runpy", "beads.__main__"}
    return pygit2_modules, len(extra), cli_us / 1000


def run(args: argparse.Namespace, fixtures: Fixtures) -> list[Row]:
    sizes = pick_sizes(args, [20000], [5000])
    repeats = 20 if args.quick else 60
    bd = bd_command()
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import pygit2'": [sys.executable, "-c", "import pygit2"],
        "bd ready --json": [*bd, "ready", "--json"],
        "bd list --json": [*bd, "list", "--json"],
    }
    env = process_env(fixtures.scratch())
    rows: list[Row] = []
    for size in sizes:
        path = fixtures.ledger(size)
        for name, command in cases.items():
            _, out, _ = run_once(command, path, env)
            if name.startswith("bd ") and not orjson.loads(out):
                raise RuntimeError(f"`{name}` printed no beads")
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(repeats):
            for name, command in cases.items():
                samples[name].append(run_once(command, path, env)[0] * 1000)
        idle = samples["python -c pass"]
        tag = f"@{size_label(size)}"
        for name in cases:
            bd_case = name.startswith("bd ")
            rows.append(Row("read", f"{name} p50 {tag}", median(samples[name]), "ms",
                            median(idle), "python -c pass p50",
                            f"<= {TARGET_MS:.0f} ms" if bd_case else "",
                            median(samples[name]) <= TARGET_MS if bd_case else None))
            rows.append(Row("read", f"{name} p99 {tag}", percentile(samples[name], 99), "ms",
                            percentile(idle, 99), "python -c pass p99"))
            if bd_case:  # what bd adds to a bare interpreter: the least load-dependent figure
                rows.append(Row("read", f"{name} p50 minus python -c pass p50 {tag}",
                                median(samples[name]) - median(idle), "ms"))
        modules, extra, cli_ms = import_report(path, env)
        rows.append(Row("read", f"pygit2 modules imported by warm bd ready {tag}", modules, "",
                        target="0", ok=modules == 0))
        rows.append(Row("read", f"modules warm bd ready imports beyond python -c pass {tag}",
                        extra, ""))
        rows.append(Row("read", f"import beads.cli.main (cumulative) {tag}", cli_ms, "ms"))
    return rows


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__, argv)
    with Fixtures() as fixtures:
        rows = run(args, fixtures)
        print_table(fixtures.setup_rows() + rows, "read latency (median per process)")


if __name__ == "__main__":
    main(sys.argv[1:])

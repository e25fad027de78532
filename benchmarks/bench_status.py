"""`gt status` as a whole process in a seeded town: 3 rigs, 30 agents, 10k beads, convoys
and merge requests (`seed_town.py`), on warm read caches.

Timed about 15 times each, interleaved with `python -c pass` from the same run: `gt status
--json` and the human `gt status`. Target: 150 ms or less (median). Also counts the pygit2
modules a warm `gt status` imports (target 0).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from bench_read import process_env, run_once
from common import Fixtures, Row, arguments, median, print_table
from seed_town import seed

TARGET_MS = 150.0


def run(args: argparse.Namespace, fixtures: Fixtures) -> list[Row]:
    beads = 2000 if args.quick else (args.sizes or [10_000])[0]
    repeats = 7 if args.quick else 15
    base = fixtures.scratch()
    base.mkdir(parents=True)
    root = seed(base, beads=beads)
    env = process_env(fixtures.scratch())
    gt = [sys.executable, "-m", "gt"]
    cases = {"python -c pass": [sys.executable, "-c", "pass"],
             "gt status --json": [*gt, "status", "--json"],
             "gt status": [*gt, "status"]}
    for command in cases.values():
        run_once(command, root, env)  # warm the caches and the bytecode
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, command in cases.items():
            samples[name].append(run_once(command, root, env)[0] * 1000)
    base = median(samples["python -c pass"])
    tag = f"@{beads // 1000}k beads, 30 agents"
    rows = []
    for name in list(cases)[1:]:
        value = median(samples[name])
        rows.append(Row("status", f"{name} {tag}", value, "ms", base, "python -c pass",
                        f"<= {TARGET_MS:.0f} ms", value <= TARGET_MS))
    trace = subprocess.run([sys.executable, "-X", "importtime", *gt[1:], "status", "--json"],
                           cwd=root, env=env, capture_output=True, text=True, check=True)
    modules = sum(1 for line in trace.stderr.splitlines() if line.startswith("import time:")
                  and line.rsplit("|", 1)[-1].strip().split(".")[0] == "pygit2")
    rows.append(Row("status", "pygit2 modules imported by a warm gt status", modules, "",
                    target="0", ok=modules == 0))
    return rows


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__, argv)
    with Fixtures() as fixtures:
        print_table(run(args, fixtures), "gt status (median per process)")


if __name__ == "__main__":
    main(sys.argv[1:])

"""The long chaos run: 30 scripted polecats land a 100-bead convoy through a seeded schedule
of kills and hangs (minutes; `./tasks bench-chaos`, not part of `run_all.py`).

The run is `tests/chaos_helpers.py`'s, as the CI test's (`tests/test_chaos.py`) at scale: two
rigs (each with its Refinery), `max_polecats` 30, a convoy of 100 beads spread over both, 8 of
them hanging their first session. For `--chaos` seconds (default 180) a live polecat is struck
every 1-3 s (its tmux session killed, or SIGKILL of its pane's process or of its runtime) and
every 15 s the next of a seeded cycle of the machinery: SIGKILL of the reactor, of the Deacon,
of both at once, `kill-session` of each Refinery. Then the convoy must land.

The checks are the test's: every bead closed with its file on its rig's main; no supervisor
action resting on evidence of a live, working agent (the actions' recorded evidence: dead =
session and process gone or the runtime gone, stalled = every sign of life older than
`stall_after`); nothing parked; every polecat killed with work hooked restarted (or its work
handed in first); every hung agent nudged or restarted; every kill of the reactor and of the
Deacon followed by a recorded restart, and the machinery running at the end; every recovery
ref an action recorded present; every repository fsck-clean. A failed check fails the run
(exit status 1), printing what failed.

Reported: wall time to land (from the last sling, and after the chaos), faults injected by
kind, agent restarts (and those after a stall), nudges, the machinery's restarts as the
Deacon's bead records them, escalations, recovery refs, death -> successor (a polecat killed
with work hooked, to the start of its successor session) p50/p99 during the chaos, and the
supervisors' peak resident memory and mean CPU (% of one core) over the run. The machine is
shared: compare p50s and ratios, and read them with the load average printed beside them.

`--quick`: 10 polecats, 30 beads, one rig, 60 s of chaos.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import Fixtures, Row, print_table  # noqa: E402

from tests.chaos_helpers import ChaosRun, Plan, build_town, percentile, take_down  # noqa: E402

RIGS = (("proj", "pj"), ("lib", "lb"))
P50_TARGET_S = 2.0


def plan_for(args: argparse.Namespace) -> Plan:
    if args.quick:
        return Plan(seed=args.seed, polecats=10, beads=30, chaos_s=args.chaos or 60.0,
                    machinery_every=10.0, hangs=3, land_timeout_s=600.0)
    return Plan(seed=args.seed, polecats=30, beads=100, chaos_s=args.chaos or 180.0,
                machinery_every=15.0, hangs=8, land_timeout_s=1200.0, rigs=RIGS)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (1 min), {five:.1f} (5 min), {os.cpu_count()} CPUs"


def rows(numbers: dict[str, Any]) -> list[Row]:
    deaths = numbers["death_to_successor"]
    found = [Row("chaos", "landed, from the last sling", numbers["land_s"], "s"),
             Row("chaos", "landed, after the chaos", numbers["land_after_chaos_s"], "s")]
    found += [Row("chaos", f"faults: {kind}", count, "")
              for kind, count in numbers["faults"].items()]
    for key in ("polecat_kills_with_work", "hung_beads", "agent_restarts", "stall_restarts",
                "nudges", "escalations", "recovery_refs"):
        found.append(Row("chaos", key.replace("_", " "), numbers[key], ""))
    found += [Row("chaos", f"machinery: {what}", count, "")
              for what, count in numbers["machinery_restarts"].items()]
    if deaths:
        p50 = percentile(deaths, 50)
        found += [Row("chaos", f"death -> successor p50 ({len(deaths)} timed)", p50, "s",
                      target=f"<= {P50_TARGET_S:g} s", ok=p50 <= P50_TARGET_S),
                  Row("chaos", "death -> successor p99", percentile(deaths, 99), "s")]
    found += [Row("chaos", f"{role}: peak memory", mb, "MB")
              for role, mb in numbers["supervisor_rss_mb"].items()]
    found += [Row("chaos", f"{role}: mean CPU (one core)", pct, "%")
              for role, pct in numbers["supervisor_cpu_pct"].items()]
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1212)
    parser.add_argument("--chaos", type=float, default=None,
                        help="seconds of chaos (default 180, 60 with --quick)")
    parser.add_argument("--quick", action="store_true", help="10 polecats, 30 beads, one rig")
    args = parser.parse_args(argv)
    for key in [k for k in os.environ if k.startswith(("GT_", "BD_"))]:
        del os.environ[key]  # run from inside an agent session, GT_TOWN would take over
    plan = plan_for(args)
    with Fixtures() as fixtures:
        base = fixtures.scratch()
        base.mkdir(parents=True)
        started = time.monotonic()
        print(f"chaos: seed {plan.seed}, {plan.polecats} polecats, {plan.beads} beads, "
              f"{len(plan.rigs)} rig(s), {plan.chaos_s:g} s of chaos; {load()}", flush=True)
        root = build_town(base, plan)
        chaos = ChaosRun(root, plan)
        try:
            chaos.run()
            problems = chaos.check()
            numbers = chaos.numbers()
        finally:
            take_down(root)
        print_table(rows(numbers), f"chaos: seed {plan.seed} ({load()} at the end; "
                                   f"{time.monotonic() - started:.0f} s in all)")
        print(chaos.summary())
    if problems:
        print(f"\n{len(problems)} checks failed:\n" + "\n".join(problems))
        return 1
    print("\nevery check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

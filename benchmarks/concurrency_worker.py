"""One writer process for `bench_concurrency.py` (a helper, not a benchmark itself).

It opens the ledger, warms its cache and prints `ready`; then for each command line it reads
(`flat <seconds>` or `paced <seconds>`) it writes until that time is up and prints one JSON
line about the phase. It counts compare-and-swap retries and how long it waited for and held
the ledger lock by wrapping `Store.transact` and the lock in this process; beads is unchanged.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beads import locks
from beads.ledger import Ledger

PACE_HZ = 2.0


@dataclass
class Counters:
    """Per committed write: attempts; per lock taken: seconds waited and held."""

    attempts: list[int] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    holds: list[float] = field(default_factory=list)


def instrument(ledger: Ledger) -> Counters:
    counters = Counters()
    transact, exclusive = ledger.store.transact, locks.exclusive

    def counting(*args: Any, **kwargs: Any) -> Any:
        written = transact(*args, **kwargs)
        if written.commit is not None:
            counters.attempts.append(written.attempts)
        return written

    @contextmanager
    def timed_lock(path: Path) -> Iterator[None]:
        asked = time.perf_counter()
        with exclusive(path):
            taken = time.perf_counter()
            counters.waits.append(taken - asked)
            try:
                yield
            finally:
                counters.holds.append(time.perf_counter() - taken)

    ledger.store.transact = counting  # type: ignore[method-assign]
    locks.exclusive = timed_lock
    return counters


def phase(ledger: Ledger, counters: Counters, mode: str, seconds: float) -> dict[str, Any]:
    """Flat out: create in a loop. Paced: PACE_HZ writes a second, alternately a create and
    an update of the bead just created, starting at a random phase."""
    for samples in (counters.attempts, counters.waits, counters.holds):
        samples.clear()
    latencies: list[float] = []
    start, cpu = time.time(), time.process_time()
    stop = time.perf_counter() + seconds
    period = 1 / PACE_HZ if mode == "paced" else 0.0
    due = time.perf_counter() + random.uniform(0, period)
    last_id, creates = "", 0
    while due < stop:
        time.sleep(max(0.0, due - time.perf_counter()))
        began = time.perf_counter()
        if mode == "paced" and len(latencies) % 2:
            ledger.update(last_id, {"notes": f"step {len(latencies)}"})
        else:
            last_id = ledger.create(f"{ledger.actor} bead {len(latencies)}")["id"]
            creates += 1
        latencies.append(time.perf_counter() - began)
        due = max(due + period, time.perf_counter()) if period else time.perf_counter()
    return {"start": start, "end": time.time(), "cpu": time.process_time() - cpu,
            "latencies": latencies, "creates": creates, "commits": len(counters.attempts),
            "retries": sum(a - 1 for a in counters.attempts), "waits": counters.waits,
            "holds": counters.holds}


def main(repo: str, name: str) -> None:
    ledger = Ledger(repo, actor=name)
    counters = instrument(ledger)
    ledger.db()
    print("ready", flush=True)
    for line in sys.stdin:
        mode, seconds = line.split()
        print(json.dumps(phase(ledger, counters, mode, float(seconds))), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])

"""The Refinery's loop: take the next batch, process it, repeat; idle when the queue is empty."""

from __future__ import annotations

import time
from collections.abc import Callable

from beads.errors import BeadsError
from gt.control.state import is_frozen
from gt.refinery.engine import Refinery
from gt.refinery.outcomes import Outcome
from gt.refinery.queue import requests
from gt.rig import Rig


def drain(rig: Rig, report: Callable[[Outcome], None] | None = None,
          refinery: Refinery | None = None) -> list[Outcome]:
    """Process the queue, batch by batch, until no request is left (or a batch changed
    nothing: a ref that cannot be dropped waits for the next look, not a busy loop)."""
    refinery = refinery or Refinery(rig)
    results = []
    before: list[str] = []
    while True:
        queue = requests(rig)
        if not queue or [r.ref for r in queue] == before:
            return results
        before = [r.ref for r in queue]
        for outcome in refinery.process(queue[:refinery.batch_size]):
            results.append(outcome)
            if report is not None:
                report(outcome)


def run_forever(rig: Rig, report: Callable[[Outcome], None], poll: float = 0.5,
                log: Callable[[str], None] = print) -> None:
    """Drain, then look again every `poll` seconds (the reactor also wakes it). A failure
    is logged (once while it repeats) and the queue tried again: the Refinery session never
    dies of one request. While the town or the rig is frozen (`gt estop`), it merges
    nothing."""
    refinery = Refinery(rig)
    last = ""
    while True:
        try:
            if not is_frozen(rig.town, rig.name):  # an emergency stop: merge nothing
                drain(rig, report, refinery)
            last = ""
        except BeadsError as exc:
            if exc.message != last:
                log(f"refinery of {rig.name}: {exc.message}; trying again")
            last = exc.message
        time.sleep(poll)

"""The Refinery's loop: take the next request, process it, repeat; idle when the queue is empty."""

from __future__ import annotations

import time
from collections.abc import Callable

from gt.refinery.engine import Outcome, process
from gt.refinery.queue import requests
from gt.rig import Rig


def drain(rig: Rig, report: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Process requests one at a time until none is left."""
    outcomes = []
    while True:
        queue = requests(rig)
        if not queue:
            return outcomes
        outcome = process(rig, queue[0])
        outcomes.append(outcome)
        if report is not None:
            report(outcome)


def run_forever(rig: Rig, report: Callable[[Outcome], None], poll: float = 0.5) -> None:
    """Drain, then look again every `poll` seconds (the reactor will wake it instead)."""
    while True:
        drain(rig, report)
        time.sleep(poll)

"""`gt dashboard` in the seeded town of `seed_town.py` (3 rigs, 30 agents, 10k beads):

- first paint: the time to fetch the whole page (drawn on the server, every panel in it),
  median of 15; target 300 ms;
- commit to page: from a `bd create` in another process returning (its commit has landed)
  until the panel holding the new bead arrives on the page's event stream, p50 and p99
  of 30 commits; target p99 under a second.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time

import httpx
from common import Fixtures, Row, arguments, median, percentile, print_table
from seed_town import seed

PAINT_MS = 300.0
PUSH_MS = 1000.0


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(args: argparse.Namespace, fixtures: Fixtures) -> list[Row]:
    beads = 2000 if args.quick else (args.sizes or [10_000])[0]
    base = fixtures.scratch()
    base.mkdir(parents=True)
    root = seed(base, beads=beads)
    port = _port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "gt", "dashboard", "--port", str(port)],
                              cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/", timeout=5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        paints = []
        for _ in range(7 if args.quick else 15):
            started = time.perf_counter()
            page = httpx.get(url + "/", timeout=10)
            paints.append((time.perf_counter() - started) * 1000)
            assert page.status_code == 200 and "panel-agents" in page.text
        arrivals: dict[str, float] = {}

        def listen() -> None:
            with httpx.stream("GET", url + "/events", timeout=None) as stream:
                for line in stream.iter_lines():
                    for title in list(pending):
                        if title in line:
                            arrivals[title] = time.perf_counter()
                            pending.discard(title)

        pending: set[str] = set()
        threading.Thread(target=listen, daemon=True).start()
        time.sleep(1)
        latencies = []
        rig = root / "alpha"
        for n in range(10 if args.quick else 30):
            title = f"bench-push-{n}-{time.time_ns()}"
            pending.add(title)
            subprocess.run([sys.executable, "-m", "beads", "create", title], cwd=rig,
                           check=True, capture_output=True, env={**os.environ})
            committed = time.perf_counter()
            deadline = committed + 10
            while title not in arrivals and time.perf_counter() < deadline:
                time.sleep(0.002)
            latencies.append((arrivals.get(title, deadline) - committed) * 1000)
    finally:
        server.terminate()
        server.wait(timeout=10)
    tag = f"@{beads // 1000}k beads, 30 agents"
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    return [Row("dashboard", f"first paint (whole page) {tag}", median(paints), "ms",
                target=f"<= {PAINT_MS:.0f} ms", ok=median(paints) <= PAINT_MS),
            Row("dashboard", f"commit to page p50 {tag}", p50, "ms"),
            Row("dashboard", f"commit to page p99 {tag}", p99, "ms",
                target=f"< {PUSH_MS:.0f} ms", ok=p99 < PUSH_MS)]


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__, argv)
    with Fixtures() as fixtures:
        print_table(run(args, fixtures), "gt dashboard")


if __name__ == "__main__":
    main(sys.argv[1:])

"""A real process acting on a ledger, for the concurrency and crash tests.

Run as `python ledger_worker.py <repo> <sync dir> <name> <mode> [args...]`. Every mode first
signals that it is ready (`<sync dir>/ready.<name>`) and then waits for `<sync dir>/go`, so
a test can start many workers at the same moment, after their imports are done. Results
go to stdout as one JSON line; failures exit non-zero with a message on stderr.

Modes:
  churn N        create N beads, then update each (a field and a label); print the ids.
  claim ID       claim one bead through the Python API; print who won or the refusal.
  bd ARGS...     run the `bd` command line with ARGS in this process (exit status is bd's).
  writer         create and update beads forever, logging each id once its write returned.
  wisps          create and update wisps forever, logging like `writer`.
  read           bring the read cache up to date once, then print the number of beads.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def wait_for_go(sync: Path, name: str) -> None:
    (sync / f"ready.{name}").touch()
    while not (sync / "go").exists():
        time.sleep(0.002)


def churn(repo: str, name: str, count: int) -> None:
    from beads import Ledger

    ledger = Ledger(repo, actor=name)
    ids = [ledger.create(f"{name} bead {n}", priority=n % 5)["id"] for n in range(count)]
    for bead_id in ids:
        ledger.update(bead_id, {"notes": f"updated by {name}"}, add_labels=[name])
    print(json.dumps({"ids": ids}))


def claim(repo: str, name: str, bead_id: str) -> None:
    from beads import Ledger
    from beads.errors import AlreadyClaimed

    ledger = Ledger(repo, actor=name)
    try:
        bead = ledger.claim(bead_id)
    except AlreadyClaimed as exc:
        print(json.dumps({"won": False, "error": exc.code, "message": exc.message}))
        return
    print(json.dumps({"won": True, "assignee": bead["assignee"], "status": bead["status"]}))


def run_bd(args: list[str]) -> None:
    from beads.cli.main import cli

    cli.main(args=args, prog_name="bd")


def writer(repo: str, name: str, log: Path) -> None:
    """Alternate creates and updates; append `<op> <id>` to `log` after each returns."""
    from beads import Ledger

    ledger = Ledger(repo, actor=name)
    ids: list[str] = []
    with open(log, "a", buffering=1) as out:
        for n in range(10**9):
            if n % 3 == 2 and ids:
                bead_id = ids[n % len(ids)]
                ledger.update(bead_id, {"notes": f"note {n}"}, add_labels=[f"l{n % 7}"])
                out.write(f"update {bead_id}\n")
            else:
                bead_id = ledger.create(f"{name} bead {n}", labels=["crash"])["id"]
                ids.append(bead_id)
                out.write(f"create {bead_id}\n")


def wisps(repo: str, name: str, log: Path) -> None:
    """Create and update wisps; append `<op> <id>` to `log` after each returns."""
    from beads import Ledger

    ledger = Ledger(repo, actor=name)
    ids: list[str] = []
    with open(log, "a", buffering=1) as out:
        for n in range(10**9):
            if n % 2 == 1 and ids:
                bead_id = ids[n % len(ids)]
                ledger.update(bead_id, {"notes": f"wisp note {n}"})
                out.write(f"update {bead_id}\n")
            else:
                bead_id = ledger.create(f"{name} wisp {n}", ephemeral=True)["id"]
                ids.append(bead_id)
                out.write(f"create {bead_id}\n")


def read(repo: str) -> None:
    from beads import gitdir
    from beads.reader import Reader

    db = Reader(gitdir.find(repo)).current()
    print(json.dumps({"beads": db.execute("SELECT count(*) FROM beads").fetchone()[0]}))


def main() -> None:
    repo, sync, name, mode, *args = sys.argv[1:]
    os.environ["BD_ACTOR"] = name
    # Import the heavy modules before signalling readiness, so the start is simultaneous.
    import beads.cli.main
    import beads.ledger  # noqa: F401

    wait_for_go(Path(sync), name)
    if mode == "churn":
        churn(repo, name, int(args[0]))
    elif mode == "claim":
        claim(repo, name, args[0])
    elif mode == "bd":
        run_bd(["-C", repo, *args])
    elif mode == "writer":
        writer(repo, name, Path(sync) / f"log.{name}")
    elif mode == "wisps":
        wisps(repo, name, Path(sync) / f"log.{name}")
    elif mode == "read":
        read(repo)
    else:
        sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()

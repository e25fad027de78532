"""Start worker processes (`ledger_worker.py`) together and collect what they report."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORKER = Path(__file__).resolve().with_name("ledger_worker.py")


@dataclass
class Outcome:
    name: str
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def spawn(repo: Path, sync: Path, name: str, mode: str, *args: str,
          **popen: Any) -> subprocess.Popen[str]:
    """One worker; it signals `ready.<name>` in `sync` and then waits for `go`."""
    sync.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([sys.executable, str(WORKER), str(repo), str(sync), name, mode,
                             *args], text=True, **popen)


def wait_ready(sync: Path, procs: dict[str, subprocess.Popen[str]],
               timeout: float = 120) -> None:
    """Block until every worker has signalled readiness (and fail if one died first)."""
    deadline = time.monotonic() + timeout
    while True:
        missing = [n for n in procs if not (sync / f"ready.{n}").exists()]
        if not missing:
            return
        dead = [n for n in missing if procs[n].poll() is not None]
        if dead:
            raise AssertionError(f"workers died before the start: {dead}")
        if time.monotonic() > deadline:
            raise AssertionError(f"workers not ready after {timeout}s: {missing}")
        time.sleep(0.01)


def go(sync: Path) -> None:
    (sync / "go").touch()


def run_together(repo: Path, sync: Path, jobs: dict[str, tuple[str, ...]],
                 timeout: float = 300) -> dict[str, Outcome]:
    """Start one worker per `name: (mode, *args)`, release them at once, collect outcomes."""
    procs = {name: spawn(repo, sync, name, *job, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE) for name, job in jobs.items()}
    try:
        wait_ready(sync, procs)
        go(sync)
        deadline = time.monotonic() + timeout
        outcomes = {}
        for name, proc in procs.items():
            out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
            outcomes[name] = Outcome(name, proc.returncode, out, err)
        return outcomes
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def ref_views(repo: Path, commit: str | None = None) -> dict[str, bytes]:
    """Every live bead at `commit` (default: the ledger ref's tip), as the cache stores it."""
    import pygit2

    from beads import canonical, docfile, gitdir, treediff
    from beads.cache import public_view

    git = pygit2.Repository(str(repo))
    tree = git[commit or git.references[gitdir.BEADS_REF].target].tree
    views = {}
    for path, blob_id in treediff.changed_files(git, None, tree):
        assert blob_id is not None
        doc = docfile.decode(path, git[blob_id].data)
        if not doc.get("deleted"):
            views[doc["id"]] = canonical.dumps(public_view(doc))
    return views


def cache_state(db: Any) -> dict[str, Any]:
    """Everything the cache holds about beads, in a comparable form."""
    return {
        "beads": sorted(db.execute("SELECT * FROM beads ORDER BY id").fetchall()),
        "docs": sorted(db.execute("SELECT * FROM docs ORDER BY id").fetchall()),
        "labels": sorted(db.execute("SELECT id, label FROM labels").fetchall()),
        "deps": sorted(db.execute("SELECT id, target, type, metadata FROM deps").fetchall()),
        "junk": sorted(db.execute("SELECT * FROM junk").fetchall()),
    }


def committed_views(db: Any) -> dict[str, bytes]:
    """The committed-layer rows of a cache connection (id -> stored view bytes)."""
    return {row[0]: bytes(row[1]) for row in
            db.execute("SELECT b.id, d.doc FROM beads b JOIN docs d ON d.id = b.id "
                       "WHERE b.layer=0")}

"""Many real writer processes on one ledger at once: nothing lost, claims exclusive.

Every worker is a separate OS process (`tests/workers/ledger_worker.py`) started with the
test's interpreter; all of them import first, then wait on a barrier file, so their writes
really contend for the flock and the compare-and-swap on the ref. Afterwards the ledger is
checked from three sides: the ref's tree, `verify`'s replay of every event, and the read
cache (incremental, as the writers left it, and rebuilt from scratch).
"""

from __future__ import annotations

import time
from pathlib import Path

import pygit2
import pytest

from beads import Ledger, canonical, gitdir
from beads.cache import Cache
from beads.ledger import NewBead
from beads.reader import Reader
from beads.verify import verify
from tests.workers.harness import (
    cache_state,
    committed_views,
    ref_views,
    run_together,
)

WRITERS = 30
BEADS_EACH = 100
CLAIMERS = 30


@pytest.mark.slow
def test_thirty_writers_create_and_update_without_losing_anything(
        ledger: Ledger, repo: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    jobs = {f"w{n:02d}": ("churn", str(BEADS_EACH)) for n in range(WRITERS)}
    outcomes = run_together(repo, tmp_path / "sync", jobs, timeout=600)
    elapsed = time.monotonic() - started
    failed = {n: o.stderr[-2000:] for n, o in outcomes.items() if o.returncode != 0}
    assert not failed, failed

    created = {name: o.json()["ids"] for name, o in outcomes.items()}
    all_ids = [i for ids in created.values() for i in ids]
    assert len(all_ids) == WRITERS * BEADS_EACH
    assert len(set(all_ids)) == len(all_ids), "two writers were handed the same id"

    # The ref's tree holds every bead, each with its writer's update applied.
    views = ref_views(repo)
    assert set(views) == set(all_ids)
    for name, ids in created.items():
        for n, bead_id in enumerate(ids):
            bead = canonical.loads(views[bead_id])
            assert bead["title"] == f"{name} bead {n}"
            assert bead["priority"] == n % 5
            assert bead["notes"] == f"updated by {name}", bead_id
            assert bead["labels"] == [name], bead_id
            assert bead["created_by"] == name

    # One commit per write, on a single first-parent chain, and the replay agrees.
    git = pygit2.Repository(str(repo))
    report = verify(git)
    assert report.ok, report.to_dict()
    assert report.first_divergence is None
    assert report.commits == 1 + 2 * WRITERS * BEADS_EACH
    # init, then per bead: create, and an update carrying a field change and a label
    assert report.events == 1 + 3 * WRITERS * BEADS_EACH
    assert report.beads == WRITERS * BEADS_EACH

    # The cache the writers kept moving holds exactly the beads of the tip it records (it
    # may trail the ref: a writer only moves it from its own commit's parent).
    left = Cache(gitdir.find(repo).state_dir)
    left_tip = left.get("tip")
    assert left_tip is not None
    assert committed_views(left.db) == ref_views(repo, left_tip)
    left.db.close()
    # Brought up to date it agrees with the ref, and with a rebuild from scratch.
    reader = Reader(gitdir.find(repo))
    db = reader.current()
    assert reader.cache.get("tip") == str(git.references[gitdir.BEADS_REF].target)
    assert committed_views(db) == views
    incremental = cache_state(db)
    reader.rebuild()
    assert cache_state(reader.db) == incremental
    print(f"\n{WRITERS} writers x {BEADS_EACH} beads (create + update): {elapsed:.1f}s")


def _contested(ledger: Ledger) -> str:
    return ledger.create("Contested", priority=0)["id"]


def test_thirty_processes_claim_one_bead_through_the_api(
        ledger: Ledger, repo: Path, tmp_path: Path) -> None:
    bead_id = _contested(ledger)
    jobs = {f"agent{n}": ("claim", bead_id) for n in range(CLAIMERS)}
    outcomes = run_together(repo, tmp_path / "sync", jobs)
    assert all(o.returncode == 0 for o in outcomes.values()), \
        {n: o.stderr for n, o in outcomes.items() if o.returncode}
    results = {name: o.json() for name, o in outcomes.items()}
    winners = [name for name, r in results.items() if r["won"]]
    assert len(winners) == 1, winners
    winner = winners[0]
    assert results[winner] == {"won": True, "assignee": winner, "status": "in_progress"}
    for name, result in results.items():
        if name != winner:
            assert result["error"] == "already_claimed"
            assert result["message"] == f"{bead_id} already claimed by {winner}"
    bead = Ledger(repo).get(bead_id)
    assert bead["assignee"] == winner and bead["status"] == "in_progress"
    history = [e for e in Ledger(repo).history(bead_id) if e["op"] == "claim"]
    assert len(history) == 1 and history[0]["author"] == winner
    assert verify(pygit2.Repository(str(repo))).ok


def test_thirty_bd_update_claims_of_one_bead(ledger: Ledger, repo: Path,
                                            tmp_path: Path) -> None:
    bead_id = _contested(ledger)
    jobs = {f"agent{n}": ("bd", "update", bead_id, "--claim") for n in range(CLAIMERS)}
    outcomes = run_together(repo, tmp_path / "sync", jobs)
    winners = [name for name, o in outcomes.items() if o.returncode == 0]
    assert len(winners) == 1, {n: (o.returncode, o.stderr) for n, o in outcomes.items()}
    winner = winners[0]
    assert outcomes[winner].stdout.startswith(f"claimed {bead_id}: Contested [in_progress]")
    for name, outcome in outcomes.items():
        if name != winner:
            assert outcome.returncode == 1, (name, outcome.stderr)
            assert outcome.stderr.strip() == f"bd: {bead_id} already claimed by {winner}"
            assert outcome.stdout == ""
    bead = Ledger(repo).get(bead_id)
    assert bead["assignee"] == winner and bead["status"] == "in_progress"
    assert verify(pygit2.Repository(str(repo))).ok


def test_bd_ready_claim_by_n_processes_takes_each_ready_bead_once(
        ledger: Ledger, repo: Path, tmp_path: Path) -> None:
    ready_ids = {b["id"] for b in ledger.create_many(
        [NewBead(f"ready {n}", {"priority": n % 5}) for n in range(CLAIMERS)])}
    jobs = {f"agent{n}": ("bd", "ready", "--claim", "--json") for n in range(CLAIMERS)}
    outcomes = run_together(repo, tmp_path / "sync", jobs)
    failed = {n: o.stderr for n, o in outcomes.items() if o.returncode != 0}
    assert not failed, failed
    claimed = {name: o.json() for name, o in outcomes.items()}
    taken = [bead["id"] for bead in claimed.values() if bead.get("id")]
    assert sorted(taken) == sorted(ready_ids), claimed
    for name, bead in claimed.items():
        assert bead["assignee"] == name and bead["status"] == "in_progress"

    fresh = Ledger(repo)
    for name, bead in claimed.items():
        stored = fresh.get(bead["id"])
        assert stored["assignee"] == name and stored["status"] == "in_progress"
        claims = [e for e in fresh.history(bead["id"]) if e["op"] == "claim"]
        assert len(claims) == 1 and claims[0]["author"] == name
    assert fresh.ready() == []
    nothing = run_together(repo, tmp_path / "sync2", {"late": ("bd", "ready", "--claim",
                                                                "--json")})["late"]
    assert nothing.returncode == 0 and nothing.json()["claimed"] is None
    assert verify(pygit2.Repository(str(repo))).ok

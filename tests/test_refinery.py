"""The merge queue: batches and bisection, pre-verified trees, strategies, faults, mq commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from beads import Ledger
from beads.model import now_iso
from gt.refinery.engine import Refinery
from gt.refinery.queue import requests
from gt.refinery.run import drain
from gt.rig import Rig
from gt.town import Town
from gt.work.done import write_request
from tests.gt_helpers import GT, gt, make_project, run, wait_for

GATE = "! grep -rqs BAD --include='*.txt' ."


def make_rig(tmp_path: Path, name: str = "proj", source: Path | None = None) -> Rig:
    root = tmp_path / f"town-{name}"
    gt(tmp_path, "install", str(root), "--no-tmux")
    project = source or make_project(tmp_path / f"{name}-src")
    gt(root, "rig", "add", name, str(project), "--prefix", "pj")
    gt(root, "rig", "config", name, "gates.test", GATE)
    return Rig(Town(root), name)


def request(rig: Rig, title: str, files: dict[str, str], base: str = "main") -> str:
    """A bead with a merge request: a commit adding `files` on top of `base`."""
    ledger = rig.ledger("worker")
    bead = ledger.create(title)["id"]
    worktree = rig.path / "work" / bead
    run(["git", "worktree", "add", "-q", "-b", f"work/{bead}", str(worktree), base], rig.repo)
    for name, text in files.items():
        (worktree / name).write_text(text)
    run(["git", "add", "-A"], worktree)
    run(["git", "commit", "-qm", title], worktree)
    commit = run(["git", "rev-parse", "HEAD"], worktree).stdout.strip()
    write_request(rig, bead, commit)
    ledger.update_many(f"done {bead}", {bead: {"mr_state": "pending", "mr_commit": commit,
                                                   "mr_requested_at": now_iso()}})
    return bead


def landing_beside(tmp_path: Path, hook: str) -> tuple[Rig, str, Path]:
    """A rig with one request to land (its gate passes), and `hook` as the script git runs
    beside gt's shim on every ref transaction (`reference-transaction.gt-chained`)."""
    rig = make_rig(tmp_path)
    bead = request(rig, "landing", {"a.txt": "ok\n"})
    gt(rig.town.root, "rig", "config", "proj", "gates.test", "true")
    chained = rig.repo / "hooks" / "reference-transaction.gt-chained"
    chained.write_text(hook)
    chained.chmod(0o755)
    return rig, bead, chained


def assert_merged(rig: Rig, bead: str) -> None:
    merged = Ledger(rig.repo).get(bead)
    assert (merged["status"], merged["mr_state"]) == ("closed", "merged")
    assert requests(rig) == []


def outcome_sets(rig: Rig, beads: list[str]) -> tuple[set[str], set[str]]:
    ledger = rig.ledger()
    states = {b: ledger.get(b).get("mr_state") for b in beads}
    return ({b for b, s in states.items() if s == "merged"},
            {b for b, s in states.items() if s == "rejected"})


@pytest.mark.slow
def test_batches_land_exactly_what_one_at_a_time_lands_with_fewer_gate_runs(
        tmp_path: Path) -> None:
    plan = [(f"r{n}", {f"f{n}.txt": "BAD\n" if n in (3, 9) else "ok\n"}) for n in range(12)]
    results = {}
    for size in (1, 4):
        rig = make_rig(tmp_path, f"b{size}")
        rig.settings.batch_size = size
        titles = {request(rig, title, files): title for title, files in plan}
        refinery = Refinery(rig)
        drain(rig, refinery=refinery)
        merged, rejected = outcome_sets(rig, list(titles))
        results[size] = ({titles[b] for b in merged}, {titles[b] for b in rejected},
                         refinery.stats.gate_runs)
        files = run(["git", "ls-tree", "--name-only", "main"], rig.repo).stdout.split()
        assert "f3.txt" not in files and "f0.txt" in files and "f11.txt" in files
    assert results[1][0] == results[4][0] == {f"r{n}" for n in range(12)} - {"r3", "r9"}
    assert results[1][1] == results[4][1] == {"r3", "r9"}
    assert results[4][2] < results[1][2]


def test_a_flaky_gate_gets_a_second_chance(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    marker = tmp_path / "failed-once"
    rig.settings.gates = {"test": f"test -e {marker} || {{ touch {marker}; exit 1; }}"}
    bead = request(rig, "flaky", {"a.txt": "ok\n"})
    refinery = Refinery(rig)
    [outcome] = drain(rig, refinery=refinery)
    assert outcome.action == "merged" and outcome.bead == bead
    assert refinery.stats.gate_runs == 2


def test_a_tree_whose_gates_passed_is_not_gated_again(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    bead = request(rig, "feature", {"a.txt": "ok\n"})
    base = run(["git", "rev-parse", "main"], rig.repo).stdout.strip()
    commit = rig.ledger().get(bead)["mr_commit"]
    refinery = Refinery(rig)
    from gt.refinery.merge import put_on

    candidate = put_on(rig, base, commit, "candidate").commit
    assert candidate is not None
    assert refinery.gate(candidate) is None
    [outcome] = drain(rig, refinery=refinery)
    assert outcome.action == "merged"
    assert (refinery.stats.gate_runs, refinery.stats.skipped) == (1, 1)


def test_rebase_method_replays_commits_onto_main(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    gt(rig.town.root, "rig", "config", "proj", "merge", "rebase")
    rig = Rig(Town(rig.town.root), "proj")
    first = request(rig, "first", {"a.txt": "ok\n"})
    second = request(rig, "second", {"b.txt": "ok\n"})
    drain(rig)
    log = run(["git", "log", "--format=%s %P", "main"], rig.repo).stdout.splitlines()
    assert [line.split()[0] for line in log[:2]] == ["second", "first"]
    assert all(len(line.split()) == 2 for line in log[:2])  # one parent each: no merges
    assert outcome_sets(rig, [first, second])[0] == {first, second}


def test_bad_requests_are_dropped_with_the_reason(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    ledger = rig.ledger("worker")
    blob_bead = ledger.create("points at a blob")["id"]
    blob = run(["git", "hash-object", "-w", "--stdin"], rig.repo).stdout.strip()
    run(["git", "update-ref", f"refs/mr/{blob_bead}", blob], rig.repo)
    orphan_bead = ledger.create("unrelated history")["id"]
    tree = run(["git", "mktree"], rig.repo).stdout.strip()
    orphan = run(["git", "commit-tree", tree, "-m", "orphan"], rig.repo).stdout.strip()
    run(["git", "update-ref", f"refs/mr/{orphan_bead}", orphan], rig.repo)
    closed_bead = request(rig, "closed already", {"c.txt": "ok\n"})
    ledger.close([closed_bead])
    unknown = run(["git", "rev-parse", "main"], rig.repo).stdout.strip()
    run(["git", "update-ref", "refs/mr/pj-nosuch", unknown], rig.repo)
    outcomes = {o.bead: o for o in drain(rig)}
    assert outcomes[blob_bead].action == "invalid" and "not a commit" in outcomes[blob_bead].reason
    assert "no history in common" in outcomes[orphan_bead].reason
    assert "already closed" in outcomes[closed_bead].reason
    assert "no bead pj-nosuch" in outcomes["pj-nosuch"].reason
    assert run(["git", "for-each-ref", "refs/mr/"], rig.repo).stdout == ""


def test_a_gate_that_wrecks_the_worktree_does_not_leak_into_the_next(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    rig.settings.gates = {"test": "rm -f app.py; echo junk > junk.txt; " + GATE}
    one = request(rig, "one", {"a.txt": "ok\n"})
    two = request(rig, "two", {"b.txt": "ok\n"})
    drain(rig)
    assert outcome_sets(rig, [one, two])[0] == {one, two}
    files = run(["git", "ls-tree", "--name-only", "main"], rig.repo).stdout.split()
    assert "app.py" in files and "junk.txt" not in files


def test_killed_mid_merge_main_is_before_or_after_and_the_request_lands_once(
        tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    bead = request(rig, "slow", {"a.txt": "ok\n"})
    before = run(["git", "rev-parse", "main"], rig.repo).stdout.strip()
    rig.settings.gates = {"test": "sleep 5"}
    rig.town.save("slow gate")
    process = subprocess.Popen([*GT, "refinery", "run", "proj", "--once"], cwd=rig.town.root,
                               start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    wait_for(lambda: b"sleep 5" in subprocess.run(["ps", "-eo", "args"],
                                                   capture_output=True).stdout)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert run(["git", "rev-parse", "main"], rig.repo).stdout.strip() == before
    gt(rig.town.root, "rig", "config", "proj", "gates.test", "true")
    gt(rig.town.root, "refinery", "run", "proj", "--once")
    gt(rig.town.root, "refinery", "run", "proj", "--once")
    merges = run(["git", "log", "--format=%s", "--first-parent", "main"], rig.repo).stdout
    assert merges.count(f"Merge {bead}") == 1
    assert Ledger(rig.repo).get(bead)["status"] == "closed"


def test_strategies_direct_and_local(tmp_path: Path) -> None:
    root = tmp_path / "town"
    gt(tmp_path, "install", str(root), "--no-tmux")
    gt(root, "rig", "add", "proj", str(make_project(tmp_path / "src")), "--prefix", "pj")
    gt(root, "config", "agent", "set", "idle", f"{sys.executable} -c pass", "--prompt", "none")
    gt(root, "config", "default-agent", "idle")
    repo = root / "proj" / ".repo.git"
    for strategy in ("direct", "local"):
        gt(root, "rig", "config", "proj", "strategy", strategy)
        bead = json.loads(gt(root / "proj", "--json", "sling", _bead(root, strategy), "proj",
                             "--no-convoy").stdout)["bead"]
        worktree = next((root / "proj" / "polecats").iterdir())
        (worktree / f"{strategy}.txt").write_text("x\n")
        run(["git", "add", "-A"], worktree)
        run(["git", "commit", "-qm", strategy], worktree)
        done = json.loads(gt(worktree, "done", "--json").stdout)
        state = Ledger(repo).get(bead)
        assert state["status"] == "closed"
        files = run(["git", "ls-tree", "--name-only", "main"], repo).stdout.split()
        if strategy == "direct":
            assert done["merged_commit"] and "direct.txt" in files
            assert not worktree.exists()
        else:
            assert state["mr_state"] == "local" and "local.txt" not in files
        assert run(["git", "for-each-ref", "refs/mr/"], repo).stdout == ""
        if worktree.exists():
            run(["git", "worktree", "remove", "--force", str(worktree)], repo)


def _bead(root: Path, title: str) -> str:
    return json.loads(subprocess.run([sys.executable, "-m", "beads", "create", title, "--json"],
                                     cwd=root / "proj", capture_output=True, text=True,
                                     check=True).stdout)["id"]


def test_push_to_origin_with_a_lease(tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    run(["git", "clone", "-q", "--bare", str(make_project(tmp_path / "seed")), str(origin)],
        tmp_path)
    rig = make_rig(tmp_path, "pushy", source=origin)
    assert rig.settings.push is True
    bead = request(rig, "pushed", {"p.txt": "ok\n"})
    drain(rig)
    main = run(["git", "rev-parse", "main"], rig.repo).stdout.strip()
    assert run(["git", "rev-parse", "main"], origin).stdout.strip() == main
    assert Ledger(rig.repo).get(bead)["mr_push"].startswith("pushed")
    # someone else moves origin's main: the next push is refused, not forced
    other = tmp_path / "other"
    run(["git", "clone", "-q", str(origin), str(other)], tmp_path)
    (other / "theirs.txt").write_text("theirs\n")
    run(["git", "add", "-A"], other)
    run(["git", "-c", "user.name=o", "-c", "user.email=o@x", "commit", "-qm", "theirs"], other)
    run(["git", "push", "-q", "origin", "main"], other)
    theirs = run(["git", "rev-parse", "HEAD"], other).stdout.strip()
    second = request(rig, "second", {"q.txt": "ok\n"})
    drain(rig)
    assert run(["git", "rev-parse", "main"], origin).stdout.strip() == theirs
    assert "refused" in Ledger(rig.repo).get(second)["mr_push"]


def test_mq_show_retry_and_reject(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    root = rig.town.root
    bead = request(rig, "to reject", {"r.txt": "ok\n"})
    listed = json.loads(gt(root, "mq", "list", "proj", "--json").stdout)
    assert [r["bead"] for r in listed] == [bead]
    shown = json.loads(gt(root, "mq", "show", "proj", bead, "--json").stdout)
    assert shown["queued"] and shown["position"] == 1
    gt(root, "mq", "reject", "proj", bead, "--reason", "not now")
    assert json.loads(gt(root, "mq", "list", "proj", "--json").stdout) == []
    assert Ledger(rig.repo).get(bead)["mr_state"] == "rejected"
    gt(root, "mq", "retry", "proj", bead)
    assert [r["bead"] for r in json.loads(gt(root, "mq", "list", "proj", "--json").stdout)] \
        == [bead]
    gt(root, "refinery", "run", "proj", "--once")
    history = json.loads(gt(root, "mq", "show", "proj", bead, "--json").stdout)["events"]
    assert [e["mr_state"] for e in history] == ["pending", "rejected", "pending", "merged"]
    missing = gt(root, "mq", "reject", "proj", bead, "--reason", "x", check=False)
    assert missing.returncode == 1 and "no request in the queue" in missing.stderr


def test_queue_order_is_priority_then_retries_then_age(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    first = request(rig, "first", {"a.txt": "ok\n"})
    second = request(rig, "second", {"b.txt": "ok\n"})
    urgent = request(rig, "urgent", {"c.txt": "ok\n"})
    retried = request(rig, "retried", {"d.txt": "ok\n"})
    ledger = rig.ledger("worker")
    ledger.update(urgent, {"priority": 0})
    ledger.update_many("sent back before", {retried: {"rejections": 1}})
    assert [r.bead for r in requests(rig)] == [urgent, first, second, retried]
    # a bead of an older convoy goes before unconvoyed work of the same priority
    gt(rig.town.root, "convoy", "create", "Batch", second)
    assert [r.bead for r in requests(rig)] == [urgent, second, first, retried]


@pytest.mark.parametrize("size", [1, 3])
def test_conflicts_in_a_batch_become_work(tmp_path: Path, size: int) -> None:
    rig = make_rig(tmp_path, f"c{size}")
    rig.settings.batch_size = size
    first = request(rig, "first", {"same.txt": "one\n"})
    second = request(rig, "second", {"same.txt": "two\n"})
    third = request(rig, "third", {"other.txt": "ok\n"})
    outcomes = {o.bead: o.action for o in drain(rig)}
    assert sorted([outcomes[first], outcomes[second]]) == ["conflict", "merged"]
    assert outcomes[third] == "merged"


def test_killed_as_it_drops_the_request_the_merge_is_recorded_never_lost(
        tmp_path: Path) -> None:
    """Killed just after the landed request's ref was deleted, the Refinery must have
    recorded the merge first: a request dropped with nothing recorded leaves its bead pending
    forever (no ref to find it by), and its convoy never lands."""
    # it blocks once a merge request's ref is deleted, so the kill lands exactly there
    rig, bead, chained = landing_beside(
        tmp_path, '#!/bin/sh\n[ "$1" = committed ] && grep -q " 0\\{40\\} refs/mr/" '
        "&& exec sleep 37\nexit 0\n")
    process = subprocess.Popen([*GT, "refinery", "run", "proj", "--once"], cwd=rig.town.root,
                               start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    wait_for(lambda: b"sleep 37" in subprocess.run(["ps", "-eo", "args"],
                                                    capture_output=True).stdout, timeout=60)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    chained.unlink()
    gt(rig.town.root, "refinery", "run", "proj", "--once")
    assert_merged(rig, bead)


def test_a_request_left_behind_after_its_merge_was_recorded_is_dropped_as_merged(
        tmp_path: Path) -> None:
    """The other side of that order: the merge recorded, the ref not dropped (here git
    refuses the deletion once). The next round drops the ref and keeps the bead merged;
    it is neither merged twice nor marked invalid."""
    rig, bead, chained = landing_beside(
        tmp_path, '#!/bin/sh\n[ "$1" = prepared ] && grep -q " 0\\{40\\} refs/mr/" '
        '&& rm -f "$0" && exit 1\nexit 0\n')
    gt(rig.town.root, "refinery", "run", "proj", "--once")
    assert not chained.exists(), "the deletion was refused once"
    assert [r.bead for r in requests(rig)] == [bead]
    gt(rig.town.root, "refinery", "run", "proj", "--once")
    assert_merged(rig, bead)
    merges = run(["git", "log", "--format=%s", "--first-parent", "main"], rig.repo).stdout
    assert merges.count(f"Merge {bead}") == 1


def test_a_request_is_merged_only_once_the_ledger_records_it(tmp_path: Path) -> None:
    """`gt done` points the ref, then records the request. Merged in between, the polecat
    was released before its own record landed, which then cleared the hook of the work the
    queue had slung to it meanwhile (the chaos run's stuck bead)."""
    rig = make_rig(tmp_path)
    bead = request(rig, "recorded", {"a.txt": "ok\n"})
    commit = Ledger(rig.repo).get(bead)["mr_commit"]
    rig.ledger("worker").update_many("not recorded yet", {bead: {"mr_state": None}})
    gt(rig.town.root, "rig", "config", "proj", "gates.test", "true")
    gt(rig.town.root, "refinery", "run", "proj", "--once")
    assert [r.bead for r in requests(rig)] == [bead]
    assert Ledger(rig.repo).get(bead)["status"] != "closed"
    rig.ledger("worker").update_many("recorded", {bead: {"mr_state": "pending",
                                                         "mr_commit": commit}})
    gt(rig.town.root, "refinery", "run", "proj", "--once")
    assert Ledger(rig.repo).get(bead)["mr_state"] == "merged"
    assert requests(rig) == []

"""Ledgers on several clones, synced through a bare remote: deterministic merge and bd sync."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pygit2
import pytest

from beads import Ledger
from beads.sync import merged_tree
from tests.conftest import git, run_bd
from tests.gt_helpers import (
    GT,
    bd,
    git_daemon,
    gt,
    machine_town,
    make_project,
    town_with_remote,
    wait_for,
)


@pytest.fixture
def clones(tmp_path: Path, repo: Path) -> tuple[Path, Path, Path, Path]:
    """A bare remote holding a ledger, and three clones of it."""
    Ledger.init(repo, "gt", actor="alice")
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    git(repo, "push", "-q", str(remote), "beads")
    out = []
    for name in ("one", "two", "three"):
        clone = tmp_path / name
        git(tmp_path, "clone", "-q", str(remote), str(clone))
        git(clone, "update-ref", "refs/heads/beads", "refs/remotes/origin/beads")
        out.append(clone)
    return remote, out[0], out[1], out[2]


def sync(clone: Path, actor: str) -> dict:
    result = run_bd(clone, "sync", "--json", actor=actor)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def sync_in_turn(one: Path, two: Path, three: Path, rounds: int = 1) -> None:
    """`bd sync` on the three clones in turn (as alice, bob and carol), `rounds` times."""
    for _round in range(rounds):
        for clone, actor in ((one, "alice"), (two, "bob"), (three, "carol")):
            sync(clone, actor)


def tree(path: Path) -> str:
    return git(path, "rev-parse", "beads^{tree}").strip()


def test_divergent_clones_converge_to_one_tree(clones: tuple[Path, Path, Path, Path]) -> None:
    remote, one, two, three = clones
    shared = Ledger(one, actor="alice").create("Shared bead")["id"]
    sync(one, "alice")
    sync(two, "bob")
    sync(three, "carol")
    a, b, c = Ledger(one, "alice"), Ledger(two, "bob"), Ledger(three, "carol")
    a.update(shared, {"title": "alice's title"})
    b.update(shared, {"priority": 0})
    b.label_add([shared], "urgent")
    a.label_add([shared], "urgent")
    a.label_remove([shared], "urgent")
    c.comment(shared, "carol was here")
    c.create("Carol's own")
    a.create("Alice's own")
    sync_in_turn(one, two, three, rounds=2)
    assert tree(one) == tree(two) == tree(three) == tree(remote)
    final = Ledger(one, "alice").get(shared)
    assert final["title"] == "alice's title" and final["priority"] == 0
    assert [c["text"] for c in final["comments"]] == ["carol was here"]
    titles = {b["title"] for b in Ledger(two, "bob").list()}
    assert {"Carol's own", "Alice's own"} <= titles
    for clone in (one, two, three):
        report = json.loads(run_bd(clone, "verify", "--json").stdout)
        assert report["ok"], report


def test_merge_is_the_same_whoever_merges_first(clones: tuple[Path, Path, Path, Path]) -> None:
    _remote, one, two, _three = clones
    bead = Ledger(one, "alice").create("Contested")["id"]
    sync(one, "alice")
    sync(two, "bob")
    Ledger(one, "alice").close([bead], reason="done")
    Ledger(two, "bob").update(bead, {"title": "renamed"})
    git(one, "fetch", "-q", str(two), "+refs/heads/beads:refs/remotes/two/beads")
    repo = pygit2.Repository(str(one))
    ours = repo.references["refs/heads/beads"].target
    theirs = repo.references["refs/remotes/two/beads"].target
    assert merged_tree(repo, ours, theirs) == merged_tree(repo, theirs, ours)


def test_close_and_reopen_race_by_canonical_order(
        clones: tuple[Path, Path, Path, Path]) -> None:
    _remote, one, two, _three = clones
    bead = Ledger(one, "alice").create("Race")["id"]
    Ledger(one, "alice").close([bead])
    sync(one, "alice")
    sync(two, "bob")
    Ledger(one, "alice").reopen([bead])   # lamport n+1 on one
    Ledger(two, "bob").update(bead, {"title": "bob"})
    Ledger(two, "bob").reopen([bead])     # lamport n+2 on two: later in canonical order
    Ledger(two, "bob").close([bead], reason="bob closes")
    sync(one, "alice")
    sync(two, "bob")
    sync(one, "alice")
    states = {Ledger(c, "x").get(bead)["status"] for c in (one, two)}
    assert states == {"closed"}


def test_sync_pushes_first_time_and_reports(clones: tuple[Path, Path, Path, Path]) -> None:
    remote, one, _two, _three = clones
    Ledger(one, "alice").create("New")
    report = sync(one, "alice")
    assert report["action"] == "pushed" and report["events_out"] == 1
    assert git(remote, "rev-parse", "beads") == git(one, "rev-parse", "beads")
    assert sync(one, "alice")["action"] == "up to date"


def test_a_plain_git_fetch_brings_remote_events_into_a_towns_ledger(tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(make_project(tmp_path / "seed")), str(origin))
    town = tmp_path / "town"
    gt(tmp_path, "install", str(town), "--no-tmux")
    gt(town, "rig", "add", "proj", str(origin), "--prefix", "pj")
    rig_repo = town / "proj" / ".repo.git"
    git(rig_repo, "push", "-q", "origin", "beads")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(origin), str(other))
    git(other, "update-ref", "refs/heads/beads", "refs/remotes/origin/beads")
    far = json.loads(bd(other, "create", "From afar", "--json").stdout)["id"]
    git(other, "push", "-q", "origin", "beads")
    local = json.loads(bd(town / "proj", "create", "From here", "--json").stdout)["id"]
    log = open(tmp_path / "reactor.log", "ab")  # noqa: SIM115 - owned by the process
    reactor = subprocess.Popen([*GT, "reactor", "run"], cwd=town, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: json.loads(gt(town, "reactor", "status", "--json").stdout)["running"])
        git(rig_repo, "fetch", "-q", "origin")
        wait_for(lambda: bd(town / "proj", "show", far, check=False).returncode == 0,
                 timeout=30)
    finally:
        os.killpg(reactor.pid, signal.SIGKILL)
        reactor.wait()
    titles = {b["title"] for b in json.loads(bd(town / "proj", "list", "--json").stdout)}
    assert {"From afar", "From here"} <= titles and local
    assert json.loads(bd(town / "proj", "verify", "--json").stdout)["ok"]


def test_gt_sync_syncs_every_ledger_that_has_the_remote(tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(make_project(tmp_path / "seed")), str(origin))
    town = tmp_path / "town"
    gt(tmp_path, "install", str(town), "--no-tmux")
    gt(town, "rig", "add", "proj", str(origin), "--prefix", "pj")
    bd(town / "proj", "create", "Published")
    results = {r["ledger"]: r for r in json.loads(gt(town, "sync", "--json").stdout)}
    assert results["town"]["action"] == "no remote 'origin'"
    assert results["proj"]["action"] == "pushed"
    assert git(origin, "rev-parse", "beads") == \
        git(town / "proj" / ".repo.git", "rev-parse", "beads")


def test_install_with_a_remote_lets_plain_git_carry_the_towns_ledger(tmp_path: Path) -> None:
    shared = tmp_path / "town.git"
    git(tmp_path, "init", "-q", "--bare", str(shared))
    town = tmp_path / "town"
    gt(tmp_path, "install", str(town), "--no-tmux", "--remote", str(shared))
    refspecs = git(town, "config", "--get-all", "remote.origin.fetch").split()
    assert refspecs == ["+refs/heads/*:refs/remotes/origin/*",
                        "+refs/mr/*:refs/remotes/origin/mr/*"]
    gt(tmp_path, "install", str(town), "--remote", str(shared))  # idempotent
    assert git(town, "config", "--get-all", "remote.origin.fetch").split() == refspecs
    results = {r["ledger"]: r for r in json.loads(gt(town, "sync", "--json").stdout)}
    assert results["town"]["action"] == "pushed"
    assert git(shared, "rev-parse", "beads") == git(town, "rev-parse", "beads")
    # a remote added later with plain git is given the same refspecs by the next gt sync
    backup = tmp_path / "backup.git"
    git(tmp_path, "init", "-q", "--bare", str(backup))
    git(town, "remote", "add", "backup", str(backup))
    gt(town, "sync", "--remote", "backup")
    assert "+refs/mr/*:refs/remotes/backup/mr/*" in git(
        town, "config", "--get-all", "remote.backup.fetch").split()
    git(town, "fetch", "-q", "backup")
    assert git(town, "rev-parse", "refs/remotes/backup/beads") == git(town, "rev-parse", "beads")


def test_two_towns_installed_with_one_remote_share_the_towns_ledger(tmp_path: Path) -> None:
    shared = tmp_path / "town.git"
    git(tmp_path, "init", "-q", "--bare", str(shared))
    towns = [tmp_path / name for name in ("east", "west")]
    for town in towns:
        gt(tmp_path, "install", str(town), "--no-tmux", "--remote", str(shared))
    east, west = towns
    note = json.loads(bd(east, "create", "Filed on east", "--json").stdout)["id"]
    for town in (east, west, east):
        gt(town, "sync")
    assert git(east, "rev-parse", "beads^{tree}") == git(west, "rev-parse", "beads^{tree}")
    assert json.loads(bd(west, "show", note, "--json").stdout)["title"] == "Filed on east"
    # the town's own agents, made on both machines under the same ids, are one bead each
    agents = [a["agent"] for a in json.loads(gt(west, "agents", "--json").stdout)]
    assert sorted(agents) == ["deacon", "mayor"]
    assert json.loads(bd(west, "verify", "--json").stdout)["ok"]


@pytest.mark.slow
def test_a_second_machine_joins_a_town_through_its_remote(tmp_path: Path) -> None:
    east, shared = town_with_remote(tmp_path)
    work = json.loads(bd(east / "proj", "create", "Filed on east", "--json").stdout)["id"]
    synced = {r["ledger"]: r for r in json.loads(gt(east, "sync", "--json").stdout)}
    assert synced["town"]["main"] == "pushed"

    west = tmp_path / "west"
    joined = json.loads(gt(tmp_path, "install", str(west), "--remote", str(shared),
                           "--json").stdout)
    assert joined["rigs"] == ["proj"] and joined["name"] == "east"
    assert git(west, "rev-parse", "beads") == git(east, "rev-parse", "beads")
    assert json.loads(bd(west / "proj", "show", work, "--json").stdout)["title"] == \
        "Filed on east"
    gt(west, "config", "machine", "west")

    # a rig added on east later reaches west with its next sync
    lib = tmp_path / "lib.git"
    git(tmp_path, "clone", "-q", "--bare", str(make_project(tmp_path / "lib-seed")), str(lib))
    gt(east, "rig", "add", "lib", str(lib), "--prefix", "lb")
    gt(east, "sync")
    git(west, "pull", "-q", "--ff-only")  # plain git brings the town's config ...
    listed = {r["rig"]: r["here"] for r in json.loads(gt(west, "rig", "list", "--json").stdout)}
    assert listed == {"lib": False, "proj": True}
    assert "not cloned here yet" in gt(west, "rig", "list").stdout
    synced = {r["ledger"]: r for r in json.loads(gt(west, "sync", "--json").stdout)}
    assert synced["town"]["main"] == "up to date"  # ... and gt sync clones the new rig
    assert synced["town"]["rigs_cloned"] == ["lib"]
    assert (west / "lib" / ".repo.git").is_dir()
    agents = {a["agent"] for a in json.loads(gt(west, "agents", "--json").stdout)}
    assert {"mayor", "deacon", "proj/witness", "lib/refinery"} <= agents
    assert not [a for a in agents if "-" in a.rsplit("/", 1)[-1]]
    # a config change on east moves west's main by fast-forward at the next sync
    gt(east, "config", "agent", "set", "helper", "true", "--prompt", "none")
    assert json.loads(gt(east, "sync", "--json").stdout)[0]["main"] == "pushed"
    assert json.loads(gt(west, "sync", "--json").stdout)[0]["main"] == "fast-forwarded"
    assert "helper" in gt(west, "config", "agent", "list").stdout
    gt(east, "sync")
    assert git(east, "rev-parse", "beads^{tree}") == git(west, "rev-parse", "beads^{tree}")
    assert json.loads(bd(west / "lib", "verify", "--json").stdout)["ok"]


def test_joining_a_remote_whose_main_is_not_a_town_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "proj.git"
    git(tmp_path, "clone", "-q", "--bare", str(make_project(tmp_path / "seed")), str(project))
    refused = gt(tmp_path, "install", str(tmp_path / "town"), "--remote", str(project),
                 check=False)
    assert refused.returncode != 0
    assert "not a town" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "town").exists()
    unreachable = gt(tmp_path, "install", str(tmp_path / "town"), "--remote",
                     str(tmp_path / "missing.git"), check=False)
    assert unreachable.returncode != 0
    assert unreachable.stderr.startswith("gt: cannot reach ")
    assert "does not appear to be a git repository" in unreachable.stderr
    assert not (tmp_path / "town").exists()


def test_children_minted_on_two_clones_both_survive(clones: tuple[Path, Path, Path, Path]) -> None:
    _remote, one, two, three = clones
    parent = Ledger(one, "alice").create("Parent", issue_type="epic")["id"]
    sync_in_turn(one, two, three)
    mine = Ledger(one, "alice").create("Alice's child", parent=parent)
    theirs = Ledger(two, "bob").create("Bob's child", parent=parent)
    assert mine["id"] == theirs["id"] == f"{parent}.1"
    sync_in_turn(one, two, three, rounds=2)
    assert tree(one) == tree(two) == tree(three)
    children = {b["title"]: b["id"] for b in Ledger(three, "carol").list()
                if b.get("parent") == parent}
    assert set(children) == {"Alice's child", "Bob's child"}
    assert len(set(children.values())) == 2 and f"{parent}.1" in children.values()
    for clone in (one, two, three):
        assert json.loads(run_bd(clone, "verify", "--json").stdout)["ok"]


def raw_merge(clone: Path) -> tuple[str, subprocess.CompletedProcess[str]]:
    """Fetch, then `git merge origin/beads` into the checked-out beads branch as bob: the tree
    the replay merge gives, and the merge's outcome."""
    git(clone, "fetch", "-q", "origin")
    repo = pygit2.Repository(str(clone))
    expected = str(merged_tree(repo, repo.references["refs/heads/beads"].target,
                               repo.references["refs/remotes/origin/beads"].target))
    git(clone, "checkout", "-q", "beads")
    merging = subprocess.run(["git", "-c", "user.name=bob", "-c", "user.email=b@x", "merge",
                              "-q", "--no-edit", "origin/beads"], cwd=clone,
                             capture_output=True, text=True)
    return expected, merging


def test_a_raw_git_merge_of_the_beads_branch_matches_the_replay_merge(
        clones: tuple[Path, Path, Path, Path]) -> None:
    remote, one, two, _three = clones
    shared = Ledger(one, "alice").create("Shared")["id"]
    sync(one, "alice")
    sync(two, "bob")
    Ledger(one, "alice").update(shared, {"title": "from one"})
    Ledger(one, "alice").create("Only on one")
    sync(one, "alice")
    Ledger.init(two, "gt")  # in a fresh clone, bd init registers the merge driver
    Ledger(two, "bob").update(shared, {"priority": 0})
    Ledger(two, "bob").label_add([shared], "two")
    expected, merging = raw_merge(two)
    assert merging.returncode == 0, merging.stderr
    assert git(two, "rev-parse", "HEAD^{tree}").strip() == expected
    assert remote.exists()


def test_links_made_beside_a_renamed_twin_follow_it(
        clones: tuple[Path, Path, Path, Path]) -> None:
    _remote, one, two, three = clones
    parent = Ledger(one, "alice").create("Parent", issue_type="epic")["id"]
    sync_in_turn(one, two, three)
    twin = f"{parent}.1"
    alice, bob = Ledger(one, "alice"), Ledger(two, "bob")
    assert alice.create("Alice's child", parent=parent)["id"] == twin
    assert bob.create("Bob's child", parent=parent)["id"] == twin
    alices_link = alice.create("Needs Alice's child", deps=[("blocks", twin)])["id"]
    bobs_link = bob.create("Needs Bob's child", deps=[("blocks", twin)])["id"]
    grandchild = bob.create("Bob's grandchild", parent=twin)["id"]
    agent = bob.create("An agent", issue_type="agent")["id"]
    bob.update(agent, {"hook_bead": twin})
    bob.dep_add(bobs_link, twin, "related")
    bob.dep_remove(bobs_link, twin, "related")
    ours = pygit2.Repository(str(two))
    git(two, "fetch", "-q", str(one), "+refs/heads/beads:refs/remotes/one/beads")
    one_tip = ours.references["refs/remotes/one/beads"].target
    two_tip = ours.references["refs/heads/beads"].target
    assert merged_tree(ours, one_tip, two_tip) == merged_tree(ours, two_tip, one_tip)
    sync_in_turn(one, two, three, rounds=2)
    assert tree(one) == tree(two) == tree(three)
    ledger = Ledger(three, "carol")
    ids = {b["title"]: b["id"] for b in ledger.list()}
    assert {ids["Alice's child"], ids["Bob's child"]} == {twin, *(
        i for i in ids.values() if i.startswith(f"{twin}-"))}

    def targets(bead: str) -> set[tuple[str, str]]:
        return {(d["type"], d["depends_on_id"]) for d in ledger.get(bead)["dependencies"]}

    assert targets(alices_link) == {("blocks", ids["Alice's child"])}
    assert targets(bobs_link) == {("blocks", ids["Bob's child"])}
    assert targets(grandchild) == {("parent-child", ids["Bob's child"])}
    assert ledger.get(agent)["hook_bead"] == ids["Bob's child"]
    for clone in (one, two, three):
        assert json.loads(run_bd(clone, "verify", "--json").stdout)["ok"]


def test_three_twins_merge_to_one_tree_in_any_order(
        clones: tuple[Path, Path, Path, Path]) -> None:
    _remote, one, two, three = clones
    parent = Ledger(one, "alice").create("Parent")["id"]
    sync_in_turn(one, two, three)
    for clone, actor in ((one, "alice"), (two, "bob"), (three, "carol")):
        child = Ledger(clone, actor).create(f"{actor}'s child", parent=parent)["id"]
        Ledger(clone, actor).create(f"{actor}'s link", deps=[("blocks", child)])
    repo = pygit2.Repository(str(one))
    for name, clone in (("two", two), ("three", three)):
        git(one, "fetch", "-q", str(clone), f"+refs/heads/beads:refs/remotes/{name}/beads")
    tips = {name: repo.references[ref].target for name, ref in (
        ("one", "refs/heads/beads"), ("two", "refs/remotes/two/beads"),
        ("three", "refs/remotes/three/beads"))}
    who = pygit2.Signature("t", "t@x")

    def merge(a: pygit2.Oid, b: pygit2.Oid) -> pygit2.Oid:
        return repo.create_commit(None, who, who, "merge", merged_tree(repo, a, b), [a, b])

    results = set()
    for first, second, last in (("one", "two", "three"), ("two", "three", "one"),
                                ("three", "one", "two"), ("two", "one", "three")):
        inner = merge(tips[first], tips[second])
        results.add(repo[merge(inner, tips[last])].tree.id)
        results.add(repo[merge(tips[last], inner)].tree.id)
    assert len(results) == 1
    docs = {}
    for entry in repo[results.pop()]["issues"]:
        for item in repo[entry.id]:
            doc = json.loads(repo[item.id].data)
            docs[doc["title"]] = doc
    for actor in ("alice", "bob", "carol"):
        child = docs[f"{actor}'s child"]["id"]
        assert [d["depends_on_id"] for d in docs[f"{actor}'s link"]["dependencies"]] == [child]
    assert len({docs[f"{a}'s child"]["id"] for a in ("alice", "bob", "carol")}) == 3


def test_a_chosen_id_created_on_two_clones_is_one_bead(
        clones: tuple[Path, Path, Path, Path]) -> None:
    _remote, one, two, three = clones
    Ledger(one, "alice").create("From one", bead_id="gt-chosen", labels=["one"])
    Ledger(two, "bob").create("From two", bead_id="gt-chosen", labels=["two"])
    sync_in_turn(one, two, three, rounds=2)
    assert tree(one) == tree(two) == tree(three)
    found = [b for b in Ledger(three, "carol").list() if b["id"].startswith("gt-chosen")]
    assert [b["id"] for b in found] == ["gt-chosen"]
    assert found[0]["labels"] == ["one", "two"]
    assert found[0]["title"] in ("From one", "From two")
    assert json.loads(run_bd(three, "verify", "--json").stdout)["ok"]


def test_a_raw_git_merge_that_meets_twin_ids_is_finished_by_resolve_merge(
        clones: tuple[Path, Path, Path, Path]) -> None:
    _remote, one, two, _three = clones
    parent = Ledger(one, "alice").create("Parent")["id"]
    sync(one, "alice")
    sync(two, "bob")
    Ledger(one, "alice").create("Alice's child", parent=parent)
    sync(one, "alice")
    Ledger.init(two, "gt")
    child = Ledger(two, "bob").create("Bob's child", parent=parent)["id"]
    Ledger(two, "bob").create("Needs Bob's child", deps=[("blocks", child)])
    expected, merging = raw_merge(two)
    assert merging.returncode != 0
    assert f"both sides minted {child}" in merging.stderr + merging.stdout
    assert "bd resolve-merge" in merging.stderr + merging.stdout
    git(two, "config", "user.name", "bob")
    git(two, "config", "user.email", "b@x")
    done = run_bd(two, "resolve-merge", "--json", actor="bob")
    assert done.returncode == 0, done.stderr
    assert git(two, "rev-parse", "HEAD^{tree}").strip() == expected
    assert git(two, "rev-parse", "HEAD^2").strip() == git(two, "rev-parse", "origin/beads").strip()
    assert git(two, "status", "--porcelain").strip() == ""
    assert json.loads(run_bd(two, "verify", "--json").stdout)["ok"]
    again = run_bd(two, "resolve-merge", actor="bob")
    assert again.returncode != 0 and "no merge in progress" in again.stderr


def two_machines(base: Path, origin: Path, agent_command: str) -> tuple[Path, Path]:
    """Two towns, machines `east` and `west`, sharing the rig `proj` from `origin`, whose
    agents run `agent_command`; west publishes the rig's ledger."""
    east, west = (machine_town(base, name, str(origin), agent_command)
                  for name in ("east", "west"))
    git(west / "proj" / ".repo.git", "push", "-q", "origin", "beads")
    return east, west


@pytest.mark.slow
def test_two_machines_sling_one_bead_and_one_holds_it(tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(make_project(tmp_path / "seed")), str(origin))
    east, west = two_machines(tmp_path, origin, f"{sys.executable} -c pass")
    gt(east, "sync")
    bead = json.loads(bd(east / "proj", "create", "Contested", "--json").stdout)["id"]
    gt(east, "sync")
    gt(west, "sync")
    gt(east, "sling", bead, "proj/polecats/nux", "--no-convoy")
    gt(west, "sling", bead, "proj/polecats/slit", "--no-convoy")
    for town in (east, west, east):
        gt(town, "sync")
    holders = {json.loads(bd(t / "proj", "show", bead, "--json").stdout)["assignee"]
               for t in (east, west)}
    assert len(holders) == 1
    holder = holders.pop()
    loser = "proj/polecats/slit" if holder.endswith("nux") else "proj/polecats/nux"
    agents = {a["agent"]: a for a in json.loads(gt(east, "agents", "--json").stdout)}
    assert agents[holder]["hook"] == bead and agents[loser]["hook"] is None


def test_a_validating_remote_refuses_bad_ledger_pushes(
        clones: tuple[Path, Path, Path, Path], tmp_path: Path) -> None:
    remote, one, two, _three = clones
    installed = json.loads(gt(tmp_path, "hooks", "install", "--remote", str(remote),
                              "--json").stdout)
    assert any("pre-receive" in line for line in installed[0]["done"])
    Ledger(one, "alice").create("Good")
    assert sync(one, "alice")["action"] == "pushed"
    # history rewritten: amend the tip and force it
    git(one, "update-ref", "refs/heads/beads", "beads~1")
    Ledger(one, "alice").create("Other")
    forced = subprocess.run(["git", "push", "-q", "--force", "origin", "beads"], cwd=one,
                            capture_output=True, text=True)
    assert forced.returncode != 0 and "rewrites the ledger's history" in forced.stderr
    # a commit that changes a bead file without an event
    sync(two, "bob")
    repo = pygit2.Repository(str(two))
    tip = repo.references["refs/heads/beads"].target
    tree = repo[tip].tree
    builder = repo.TreeBuilder(tree)
    builder.insert("junk.txt", repo.create_blob(b"junk\n"), pygit2.GIT_FILEMODE_BLOB)
    who = pygit2.Signature("mallory", "m@x")
    bad = repo.create_commit("refs/heads/beads", who, who, "by hand", builder.write(), [tip])
    refused = subprocess.run(["git", "push", "-q", "origin", "beads"], cwd=two,
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "ledger push refused" in refused.stderr
    assert git(remote, "rev-parse", "beads").strip() != str(bad)
    # the remote still takes a good push, and ordinary branches are not checked
    git(two, "update-ref", "refs/heads/beads", str(tip))
    Ledger(two, "bob").create("Fine")
    assert sync(two, "bob")["action"] in ("pushed", "merged and pushed")
    git(two, "push", "-q", "origin", "HEAD:refs/heads/feature")


@pytest.mark.slow
def test_work_slung_to_an_agent_homed_elsewhere_starts_there_after_a_sync(
        tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(make_project(tmp_path / "seed")), str(origin))
    east, west = two_machines(tmp_path, origin,
                              f"{sys.executable} -c 'import time; time.sleep(60)'")

    def west_sessions() -> list[str]:
        return json.loads(gt(west, "session", "list", "--json").stdout)["sessions"]

    # nux is born on west, so it is homed there
    first = json.loads(bd(west / "proj", "create", "West's work", "--json").stdout)["id"]
    gt(west, "sling", first, "proj/polecats/nux", "--no-convoy")
    gt(west, "unsling", "proj/polecats/nux")
    gt(west, "session", "stop", "proj/polecats/nux")
    gt(west, "sync")
    log = open(tmp_path / "west-reactor.log", "ab")  # noqa: SIM115 - owned by the process
    reactor = subprocess.Popen([*GT, "reactor", "run"], cwd=west, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # the reactor catches up on west's own history first, where nux's old sling was
        # taken back: it does not wake nux for it
        wait_for(lambda: "nothing is on its hook now"
                 in (tmp_path / "west-reactor.log").read_text())
        assert "gt-proj-nux" not in west_sessions()
        gt(east, "sync")
        second = json.loads(bd(east / "proj", "create", "East's work", "--json").stdout)["id"]
        slung = json.loads(gt(east, "sling", second, "proj/polecats/nux", "--no-convoy",
                              "--json").stdout)
        assert slung["wake"].startswith("homed on west")
        assert json.loads(gt(east, "session", "list", "--json").stdout)["sessions"] == []
        assert "gt-proj-nux" not in west_sessions()
        gt(east, "sync")
        gt(west, "sync")
        wait_for(lambda: "gt-proj-nux" in west_sessions())
    finally:
        os.killpg(reactor.pid, signal.SIGKILL)
        reactor.wait()
        gt(west, "down")
    assert json.loads(gt(east, "session", "list", "--json").stdout)["sessions"] == []
    assert "wake proj/polecats/nux" in (tmp_path / "west-reactor.log").read_text()


def test_three_clones_converge_through_git_daemon(tmp_path: Path, repo: Path) -> None:
    Ledger.init(repo, "gt", actor="alice")
    served = tmp_path / "served"
    served.mkdir()
    remote = served / "town.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    git(repo, "push", "-q", str(remote), "beads")
    with git_daemon(remote) as url:
        clones = []
        for name in ("one", "two", "three"):
            clone = tmp_path / name
            git(tmp_path, "clone", "-q", url, str(clone))
            git(clone, "update-ref", "refs/heads/beads", "refs/remotes/origin/beads")
            clones.append(clone)
        shared = Ledger(clones[0], "alice").create("Shared")["id"]
        sync(clones[0], "alice")
        for clone, actor in zip(clones[1:], ("bob", "carol"), strict=True):
            sync(clone, actor)
        for n, (clone, actor) in enumerate(zip(clones, ("alice", "bob", "carol"),
                                               strict=True)):
            Ledger(clone, actor).update(shared, {"notes": f"{actor} {n}"})
            Ledger(clone, actor).create(f"{actor}'s bead")
        for _round in range(2):
            for clone, actor in zip(clones, ("alice", "bob", "carol"), strict=True):
                sync(clone, actor)
        assert len({tree(c) for c in clones}) == 1
        assert tree(clones[0]) == tree(remote)


def test_concurrent_edits_of_one_field_take_the_later_write(
        clones: tuple[Path, Path, Path, Path]) -> None:
    _remote, one, two, _three = clones
    bead = Ledger(one, "alice").create("Original")["id"]
    sync(one, "alice")
    sync(two, "bob")
    Ledger(one, "alice").update(bead, {"title": "alice's"})
    b = Ledger(two, "bob")
    b.update(bead, {"notes": "first"})
    b.update(bead, {"title": "bob's"})  # a later lamport than alice's edit
    for clone, actor in ((one, "alice"), (two, "bob"), (one, "alice")):
        sync(clone, actor)
    assert {Ledger(c, "x").get(bead)["title"] for c in (one, two)} == {"bob's"}


def test_a_cycle_only_the_merge_creates_is_kept_and_reported(
        clones: tuple[Path, Path, Path, Path]) -> None:
    _remote, one, two, _three = clones
    first = Ledger(one, "alice").create("First")["id"]
    second = Ledger(one, "alice").create("Second")["id"]
    sync(one, "alice")
    sync(two, "bob")
    Ledger(one, "alice").dep_add(first, second)
    Ledger(two, "bob").dep_add(second, first)
    for clone, actor in ((one, "alice"), (two, "bob"), (one, "alice")):
        sync(clone, actor)
    cycles = json.loads(run_bd(one, "dep", "cycles", "--json").stdout)["cycles"]
    assert cycles and set(cycles[0]) == {first, second}
    report = json.loads(run_bd(one, "verify", "--json").stdout)
    assert report["cycles"] and report["first_divergence"] is None

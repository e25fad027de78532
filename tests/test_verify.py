"""`bd verify`: replaying every event finds what was committed to the beads branch by hand.

Hand commits are made with git plumbing (read-tree, update-index, write-tree, commit-tree,
update-ref) through a temporary index, exactly as someone bypassing `bd` would.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pygit2
import pytest

from beads import Ledger
from beads.ids import bead_path
from beads.verify import verify_new
from tests.conftest import bd_run, git, run_bd, tip


def plumb(repo: Path, index: Path, *args: str, data: bytes | None = None) -> str:
    env = {**os.environ, "GIT_INDEX_FILE": str(index)}
    return subprocess.run(["git", *args], cwd=repo, env=env, input=data, check=True,
                          capture_output=True).stdout.decode().strip()


def hand_commit(repo: Path, files: dict[str, bytes | None], message: str,
                parent: str = "refs/heads/beads") -> str:
    """Commit `files` (None deletes) on top of `parent` and move the beads branch there."""
    index = repo / ".git" / "hand-made.index"
    index.unlink(missing_ok=True)
    base = git(repo, "rev-parse", parent).strip()
    plumb(repo, index, "read-tree", base)
    for path, data in files.items():
        if data is None:
            plumb(repo, index, "update-index", "--force-remove", path)
        else:
            blob = plumb(repo, index, "hash-object", "-w", "--stdin", data=data)
            plumb(repo, index, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
    tree = plumb(repo, index, "write-tree")
    commit = plumb(repo, index, "commit-tree", tree, "-p", base, "-m", message)
    git(repo, "update-ref", "refs/heads/beads", commit, tip(repo))
    index.unlink()
    return commit


def verify(repo: Path, real_process: bool = False) -> tuple[int, dict[str, Any], str]:
    """Exit status, the JSON report, and the human report."""
    run = run_bd if real_process else bd_run
    as_json = run(repo, "verify", "--json")
    human = run(repo, "verify")
    assert as_json.returncode == human.returncode
    assert "Traceback" not in as_json.stderr + human.stderr
    report = json.loads(as_json.stdout)
    # the remote's check, which looks at each commit against its parents, agrees
    pushed = verify_new(pygit2.Repository(str(repo)), None, pygit2.Oid(hex=tip(repo)))
    assert pushed.first_divergence == report["first_divergence"]
    return as_json.returncode, report, human.stdout


def reads_still_work(repo: Path, *bead_ids: str) -> None:
    shown = bd_run(repo, "show", *bead_ids, "--json")
    assert shown.returncode == 0, shown.stderr
    found = json.loads(shown.stdout)
    assert [b["id"] for b in (found if isinstance(found, list) else [found])] == list(bead_ids)
    listed = bd_run(repo, "list", "--json", "--all")
    assert listed.returncode == 0, listed.stderr
    assert set(bead_ids) <= {b["id"] for b in json.loads(listed.stdout)}


@pytest.fixture
def ledger(repo: Path) -> Ledger:
    """A small ledger that has seen every kind of event."""
    ledger = Ledger.init(repo, "gt", actor="alice")
    a = ledger.create("Alpha", labels=["x"], bead_id="gt-alpha")["id"]
    b = ledger.create("Beta", deps=[("blocks", a)], bead_id="gt-beta")["id"]
    ledger.update(b, {"title": "Beta 2", "priority": 1}, add_labels=["y"])
    ledger.comment(a, "a comment")
    ledger.config_set("status.custom", "review")
    ledger.close([a], reason="done")
    ledger.reopen([a])
    gone = ledger.create("Gone")["id"]
    ledger.delete([gone])
    ledger.claim(b)
    return ledger


def test_verify_passes_on_a_ledger_written_by_bd(ledger: Ledger, repo: Path) -> None:
    status, report, human = verify(repo, real_process=True)
    assert status == 0
    assert report["schema_version"] == 1 and report["ok"] is True
    assert report["first_divergence"] is None and report["problems"] == []
    assert report["junk"] == [] and report["cycles"] == []
    assert report["commits"] == len(git(repo, "rev-list", "beads").split())
    assert report["beads"] == 3  # the deleted bead's tombstone is a file too
    assert human.startswith(f"verify ok: {report['commits']} commits")


JUNK = {
    "text file in a shard": ("issues/zz/junk.txt", b"junk\n"),
    "bead-named file that is not JSON": ("issues/zz/gt-zzzz.json", b"{not json"),
    "JSON that is not a bead": ("issues/ju/gt-junk.json", b'{"id": "gt-junk"}\n'),
    "bead file in the wrong shard": ("issues/qq/gt-alpha.json", None),
    "file at the top of the tree": ("junk.txt", b"junk\n"),
    "file in another directory": ("notes/readme.md", b"# notes\n"),
    "directory inside a shard": ("issues/zz/sub/x.json", b"{}"),
    "file where a shard belongs": ("issues/plain", b"plain\n"),
}


@pytest.mark.parametrize(("path", "data"), list(JUNK.values()), ids=list(JUNK))
def test_junk_committed_by_hand_is_reported_and_reads_keep_working(
        ledger: Ledger, repo: Path, path: str, data: bytes | None) -> None:
    if data is None:  # a copy of a real bead document, filed in the wrong place
        data = git(repo, "show", f"beads:{bead_path('gt-alpha')}").encode()
    junk = hand_commit(repo, {path: data}, "add a file by hand")
    # The ledger keeps working on top of the junk commit.
    after = bd_run(repo, "create", "Written after the junk", "--json")
    assert after.returncode == 0, after.stderr
    later = json.loads(after.stdout)["id"]
    reads_still_work(repo, "gt-alpha", "gt-beta", later)
    status, report, human = verify(repo)
    assert status == 1 and report["ok"] is False
    assert report["first_divergence"] is not None, report
    assert report["first_divergence"]["commit"] == junk
    assert report["first_divergence"]["summary"] == "add a file by hand"
    assert any(path in p for p in report["first_divergence"]["paths"] + report["junk"])
    assert f"first divergence at {junk[:10]} (add a file by hand)" in human


def test_hand_edit_of_a_bead_file_is_the_first_divergence(ledger: Ledger, repo: Path) -> None:
    path = bead_path("gt-alpha")
    doc = json.loads(git(repo, "show", f"beads:{path}"))
    doc["title"] = "Edited by hand"
    edit = hand_commit(repo, {path: (json.dumps(doc, indent=2) + "\n").encode()},
                       "tweak alpha")
    Ledger(repo, actor="bob").update("gt-beta", {"title": "Beta 3"})  # history goes on
    status, report, human = verify(repo, real_process=True)
    assert status == 1
    divergence = report["first_divergence"]
    assert divergence["commit"] == edit and divergence["paths"] == [path]
    assert divergence["reason"] == "the commit changes the ledger without recording an event"
    assert f"first divergence at {edit[:10]} (tweak alpha)" in human
    assert any(path in line for line in report["junk"])
    reads_still_work(repo, "gt-alpha", "gt-beta")


def test_commit_whose_tree_disagrees_with_its_events(ledger: Ledger, repo: Path) -> None:
    """A commit that carries real events but a tree other than their replay."""
    ledger.update("gt-alpha", {"title": "Alpha 2"})
    real = tip(repo)
    message = git(repo, "log", "-1", "--format=%B", real)
    path = bead_path("gt-alpha")
    doc = json.loads(git(repo, "show", f"beads:{path}"))
    doc["title"] = "Not what the event says"
    git(repo, "update-ref", "refs/heads/beads", f"{real}~1", real)
    forged = hand_commit(repo, {path: json.dumps(doc).encode()}, message.strip())
    status, report, _ = verify(repo)
    assert status == 1
    divergence = report["first_divergence"]
    assert divergence["commit"] == forged and path in divergence["paths"]
    assert divergence["reason"] == "the tree differs from the replay of the events"
    reads_still_work(repo, "gt-alpha", "gt-beta")


def test_only_the_first_divergence_is_named(ledger: Ledger, repo: Path) -> None:
    first = hand_commit(repo, {"issues/zz/one.txt": b"1"}, "first junk")
    ledger.create("In between")
    hand_commit(repo, {"issues/zz/two.txt": b"2"}, "second junk")
    status, report, _ = verify(repo)
    assert status == 1 and report["first_divergence"]["commit"] == first
    assert {line.split(":")[0] for line in report["junk"]} == {"issues/zz/one.txt",
                                                               "issues/zz/two.txt"}


def test_bead_file_deleted_by_hand(ledger: Ledger, repo: Path) -> None:
    path = bead_path("gt-alpha")
    removal = hand_commit(repo, {path: None}, "remove alpha")
    status, report, _ = verify(repo)
    assert status == 1 and report["first_divergence"]["commit"] == removal
    assert f"{path}: missing from the tip tree" in report["junk"]
    reads_still_work(repo, "gt-beta")


def test_verify_reports_dependency_cycles(repo: Path, tmp_path: Path) -> None:
    # Every write refuses a cycle; a merge of two clones that each added one link makes one.
    ledger = Ledger.init(repo, "gt", actor="alice")
    ledger.create("A", bead_id="gt-a")
    ledger.create("B", bead_id="gt-b")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    git(clone, "update-ref", "refs/heads/beads", "refs/remotes/origin/beads")
    ledger.dep_add("gt-a", "gt-b")
    Ledger(clone, actor="bob").dep_add("gt-b", "gt-a")
    assert bd_run(clone, "sync", actor="bob").returncode == 0
    status, report, human = verify(repo)
    assert status == 1
    assert report["cycles"] == [["gt-a", "gt-b", "gt-a"]]
    assert "dependency cycle: gt-a -> gt-b -> gt-a" in human


def test_the_remote_check_looks_only_at_the_commits_a_push_adds(ledger: Ledger,
                                                                 repo: Path) -> None:
    hand_commit(repo, {"issues/zz/old.txt": b"old junk"}, "junk below the old tip")
    old = tip(repo)
    ledger.create("New one")
    ledger.update("gt-beta", {"title": "Beta 3"})
    repository = pygit2.Repository(str(repo))
    report = verify_new(repository, pygit2.Oid(hex=old), pygit2.Oid(hex=tip(repo)))
    assert report.ok and report.commits == 2 and report.events == 2
    added = hand_commit(repo, {"issues/zz/new.txt": b"new junk"}, "junk in the push")
    report = verify_new(repository, pygit2.Oid(hex=old), pygit2.Oid(hex=added))
    assert report.commits == 3 and report.first_divergence["commit"] == added


def test_the_remote_check_refuses_an_octopus_merge(ledger: Ledger, repo: Path) -> None:
    old = tip(repo)
    sides = []
    for n in range(2):
        ledger.create(f"side {n}")
        sides.append(tip(repo))
        git(repo, "update-ref", "refs/heads/beads", old, sides[-1])
    tree = git(repo, "rev-parse", f"{old}^{{tree}}").strip()
    octopus = git(repo, "commit-tree", tree, "-p", old, "-p", sides[0], "-p", sides[1],
                  "-m", "octopus").strip()
    report = verify_new(pygit2.Repository(str(repo)), pygit2.Oid(hex=old),
                        pygit2.Oid(hex=octopus))
    assert report.first_divergence["commit"] == octopus
    assert "two parents" in report.first_divergence["reason"]
    git(repo, "update-ref", "refs/heads/beads", octopus)
    status, full, _ = verify(repo)
    assert status == 1 and full["first_divergence"]["commit"] == octopus


def test_verify_checks_the_commits_a_merge_brought_in(ledger: Ledger, repo: Path) -> None:
    """A merge made without the pre-merge check (an older client, a hand merge) brought a
    forged commit in: `bd verify` names it."""
    from beads.sync import merged_tree

    base = tip(repo)
    path = bead_path("gt-alpha")
    doc = json.loads(git(repo, "show", f"beads:{path}"))
    doc["title"] = "Forged on the other side"
    forged = hand_commit(repo, {path: (json.dumps(doc, indent=2) + "\n").encode()}, "forge")
    git(repo, "update-ref", "refs/heads/beads", base, forged)
    ledger.create("Made on this side")
    repository = pygit2.Repository(str(repo))
    ours, theirs = pygit2.Oid(hex=tip(repo)), pygit2.Oid(hex=forged)
    who = pygit2.Signature("alice", "alice@beads.local")
    repository.create_commit("refs/heads/beads", who, who, "merge other's ledger\n",
                             merged_tree(repository, ours, theirs), [ours, theirs])
    status, report, _ = verify(repo)
    assert status == 1 and report["first_divergence"]["commit"] == forged

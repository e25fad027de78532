"""Nothing fetched is merged unchecked: `bd sync` and the reactor's absorb check incoming
commits as the remote's pre-receive does, and both refuse forged clocks and re-authored
commits (events by one actor, committed under another's name)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pygit2
import pytest

from beads import Ledger, canonical, replay, trees
from beads.events import format_message, make_event
from beads.ids import bead_path
from beads.ledger import NewBead
from beads.store import Snapshot
from beads.sync import absorb_fetched
from tests.conftest import git, run_bd
from tests.gt_helpers import gt


@pytest.fixture
def shared(tmp_path: Path, repo: Path) -> tuple[Path, Path, Path, str]:
    """A bare remote WITHOUT the validating hook, the victim's clone and mallory's clone,
    and a bead both have."""
    ledger = Ledger.init(repo, "gt", actor="alice")
    bead = ledger.create("Shared bead", bead_id="gt-shared")["id"]
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    git(repo, "push", "-q", str(remote), "beads")
    clones = []
    for name in ("victim", "mallory"):
        clone = tmp_path / name
        git(tmp_path, "clone", "-q", str(remote), str(clone))
        git(clone, "update-ref", "refs/heads/beads", "refs/remotes/origin/beads")
        clones.append(clone)
    return remote, clones[0], clones[1], bead


def rev(path: Path, ref: str = "refs/heads/beads") -> str:
    return git(path, "rev-parse", ref).strip()


def commit_on_beads(clone: Path, files: dict[str, bytes], message: str,
                    author: str = "mallory") -> str:
    """A commit on the clone's beads branch with `files` changed, authored by `author`."""
    repo = pygit2.Repository(str(clone))
    parent = repo.references["refs/heads/beads"].target
    tree = trees.write_tree(repo, repo[parent].tree, dict(files))
    who = pygit2.Signature(author, f"{author}@beads.local")
    return str(repo.create_commit("refs/heads/beads", who, who, message, tree, [parent]))


def forged_clock_without_event(clone: Path, bead: str) -> str:
    """The issue's attack: edit a bead file, no event, and a clock far ahead."""
    path = bead_path(bead)
    doc = json.loads(git(clone, "show", f"beads:{path}"))
    doc["title"] = "zzz"
    doc["_clock"]["title"] = [999999, "zzz", "0" * 16]
    return commit_on_beads(clone, {path: canonical.dumps_file(doc)}, "fix title\n")


def event_commit(clone: Path, bead: str, actor: str, lamport: int | None = None,
                 author: str | None = None) -> str:
    """A commit whose tree is exactly the fold of one update event (as the store makes it),
    with the event's clock and the commit's author chosen freely."""
    repo = pygit2.Repository(str(clone))
    snap = Snapshot(repo, repo.references["refs/heads/beads"].target)
    tick = snap.meta["lamport"] + 1 if lamport is None else lamport
    event = make_event("update", bead, actor, "2026-01-01T00:00:00.000Z", tick,
                       {"set": {"title": f"set by {actor} at {tick}"}})
    batch = replay.fold_batch(snap.doc, snap.meta, snap.config, [event])
    return commit_on_beads(clone, batch.changes(), format_message("update", [event]),
                           author or actor)


def push_raw(clone: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "push", "-q", "origin", "beads"], cwd=clone,
                          capture_output=True, text=True)


def test_bd_sync_refuses_the_issues_forged_clock_and_leaves_the_ledger(
        shared: tuple[Path, Path, Path, str]) -> None:
    remote, victim, mallory, bead = shared
    bad = forged_clock_without_event(mallory, bead)
    assert push_raw(mallory).returncode == 0  # no hook on this remote
    run_bd(victim, "create", "Victim's own work", check=True)
    before = rev(victim)
    result = run_bd(victim, "sync")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"commit {bad[:10]} by mallory <mallory@beads.local>" in result.stderr
    assert "without recording an event" in result.stderr
    assert rev(victim) == before
    assert rev(remote) == bad  # the victim pushed nothing on top of it
    updated = run_bd(victim, "update", bead, "--title", "fix", check=True)
    assert updated.returncode == 0
    shown = json.loads(run_bd(victim, "show", bead, "--json", check=True).stdout)
    assert shown["title"] == "fix"
    assert run_bd(victim, "verify").returncode == 0


def test_an_event_with_a_clock_far_ahead_is_refused_everywhere(
        shared: tuple[Path, Path, Path, str], tmp_path: Path) -> None:
    remote, victim, mallory, bead = shared
    bad = event_commit(mallory, bead, "mallory", lamport=999999)
    assert push_raw(mallory).returncode == 0
    before = rev(victim)
    result = run_bd(victim, "sync")
    assert result.returncode == 1 and "forged clock" in result.stderr
    assert f"commit {bad[:10]} by mallory" in result.stderr and rev(victim) == before
    # bd verify on a ledger that took it anyway names it
    git(victim, "update-ref", "refs/heads/beads", bad)
    verified = run_bd(victim, "verify", "--json")
    report = json.loads(verified.stdout)
    assert verified.returncode == 1 and report["first_divergence"]["commit"] == bad
    assert "999999" in report["first_divergence"]["reason"]
    # a validating remote refuses the push
    git(remote, "update-ref", "refs/heads/beads", before)
    gt(tmp_path, "hooks", "install", "--remote", str(remote))
    refused = subprocess.run(["git", "push", "-q", "--force", "origin", "beads"],
                             cwd=mallory, capture_output=True, text=True)
    assert refused.returncode != 0 and "forged clock" in refused.stderr
    assert rev(remote) == before


def test_clocks_the_store_stamps_are_accepted(shared: tuple[Path, Path, Path, str]) -> None:
    """One tick per event past the parent's mark is what every honest commit carries."""
    _remote, victim, mallory, bead = shared
    ledger = Ledger(mallory, actor="mallory")
    ledger.update(bead, {"title": "one"})
    ledger.create_many([NewBead(f"batch {n}") for n in range(3)])
    specs = [NewBead(f"chained {n}") for n in range(5)]
    ledger.write_plan("chained", lambda view: (
        [ledger.plan_create(view, spec) for spec in specs], None), chunk=2)
    event_commit(mallory, bead, "mallory")
    assert push_raw(mallory).returncode == 0
    assert run_bd(victim, "sync", "--json", check=True).returncode == 0
    assert run_bd(victim, "verify").returncode == 0


def test_a_re_authored_commit_is_refused_naming_both(
        shared: tuple[Path, Path, Path, str], tmp_path: Path) -> None:
    remote, victim, mallory, bead = shared
    before = rev(remote)
    Ledger(mallory, actor="alice").update(bead, {"title": "alice said so"})
    honest = rev(mallory)
    env = {**os.environ, "GIT_AUTHOR_NAME": "mallory", "GIT_AUTHOR_EMAIL": "m@x",
           "GIT_COMMITTER_NAME": "mallory", "GIT_COMMITTER_EMAIL": "m@x"}
    message = git(mallory, "log", "-1", "--format=%B", honest)
    forged = subprocess.run(["git", "commit-tree", f"{honest}^{{tree}}", "-p", before, "-F", "-"],
                            cwd=mallory, input=message, env=env, capture_output=True,
                            text=True, check=True).stdout.strip()
    git(mallory, "update-ref", "refs/heads/beads", forged)
    verified = run_bd(mallory, "verify")
    assert verified.returncode == 1
    assert "its events are by 'alice' but its author is 'mallory'" in verified.stdout
    assert push_raw(mallory).returncode == 0
    result = run_bd(victim, "sync")
    assert result.returncode == 1 and "by mallory <m@x>" in result.stderr
    assert "'alice'" in result.stderr and rev(victim) == before
    git(remote, "update-ref", "refs/heads/beads", before)
    gt(tmp_path, "hooks", "install", "--remote", str(remote))
    refused = subprocess.run(["git", "push", "-q", "--force", "origin", "beads"],
                             cwd=mallory, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "its events are by 'alice' but its author is 'mallory'" in refused.stderr
    git(mallory, "update-ref", "refs/heads/beads", honest)
    assert push_raw(mallory).returncode == 0  # the same events under their own author


def test_the_reactors_absorb_refuses_once_and_keeps_the_ledger(
        shared: tuple[Path, Path, Path, str]) -> None:
    _remote, victim, mallory, bead = shared
    bad = forged_clock_without_event(mallory, bead)
    assert push_raw(mallory).returncode == 0
    git(victim, "fetch", "-q", "origin", "+refs/heads/beads:refs/remotes/origin/beads")
    before = rev(victim)
    ledger = Ledger(victim, actor="victim")
    lines = absorb_fetched(ledger)
    assert len(lines) == 1 and lines[0].startswith("origin: refusing origin's ledger")
    assert bad[:10] in lines[0] and rev(victim) == before
    assert absorb_fetched(ledger) == []  # told once, not at every scan
    assert rev(victim) == before

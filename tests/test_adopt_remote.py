"""A fresh `git clone` of a repository whose remote has a ledger: every `bd` command adopts it
(no second root), saying so once; `bd sync` and `bd init` work there."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from beads import Ledger
from tests.conftest import git, run_bd

ADOPTED = "bd: adopted origin's ledger: refs/heads/beads created at {} from " \
          "refs/remotes/origin/beads\n"


def rev(repo: Path, ref: str) -> str | None:
    found = subprocess.run(["git", "rev-parse", "-q", "--verify", ref], cwd=repo,
                           capture_output=True, text=True)
    return found.stdout.strip() or None


@pytest.fixture
def remote(tmp_path: Path, repo: Path) -> Path:
    """A bare remote whose `beads` branch holds a ledger of two beads (and main)."""
    ledger = Ledger.init(repo, "gt", actor="alice")
    ledger.create("First", bead_id="gt-one")
    ledger.create("Second", bead_id="gt-two")
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    return bare


def clone_of(remote: Path, name: str = "clone") -> Path:
    path = remote.parent / name
    git(remote.parent, "clone", "-q", str(remote), str(path))
    assert rev(path, "refs/heads/beads") is None
    return path


def test_the_first_read_adopts_the_remotes_ledger_and_says_so_once(remote: Path) -> None:
    clone = clone_of(remote)
    theirs = rev(clone, "refs/remotes/origin/beads")
    assert theirs is not None
    listed = run_bd(clone, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [b["id"] for b in json.loads(listed.stdout)] == ["gt-one", "gt-two"]
    assert listed.stderr == ADOPTED.format(theirs[:10])
    assert rev(clone, "refs/heads/beads") == theirs
    again = run_bd(clone, "show", "gt-one", "--json")
    assert again.returncode == 0 and again.stderr == ""
    # As `git switch beads` would: the branch tracks the remote's; and as `bd init` does,
    # the merge driver is registered.
    assert git(clone, "config", "branch.beads.remote").strip() == "origin"
    assert git(clone, "config", "branch.beads.merge").strip() == "refs/heads/beads"
    assert "beads.mergedriver" in git(clone, "config", "merge.beads.driver")
    assert "issues/** merge=beads" in (clone / ".git" / "info" / "attributes").read_text()
    assert json.loads(run_bd(clone, "verify", "--json").stdout)["ok"] is True


def test_the_fast_read_path_and_packed_refs_adopt_too(remote: Path) -> None:
    clone = clone_of(remote)
    git(clone, "pack-refs", "--all")
    assert not (clone / ".git" / "refs" / "remotes" / "origin" / "beads").exists()
    ready = run_bd(clone, "ready", "--json")
    assert ready.returncode == 0, ready.stderr
    assert {b["id"] for b in json.loads(ready.stdout)} == {"gt-one", "gt-two"}
    assert ready.stderr.startswith("bd: adopted origin's ledger")


def test_a_write_then_sync_from_a_fresh_clone(remote: Path) -> None:
    clone = clone_of(remote)
    created = run_bd(clone, "create", "From the clone", "--json", actor="bob")
    assert created.returncode == 0, created.stderr
    assert created.stderr.startswith("bd: adopted origin's ledger")
    synced = run_bd(clone, "sync", "--json", actor="bob")
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["action"] == "pushed"
    assert rev(remote, "refs/heads/beads") == rev(clone, "refs/heads/beads")
    # One root: the clone's ledger grew from the remote's.
    roots = git(clone, "rev-list", "--max-parents=0", "beads").split()
    assert roots == git(remote, "rev-list", "--max-parents=0", "beads").split()


def test_sync_as_the_first_command(remote: Path) -> None:
    clone = clone_of(remote)
    synced = run_bd(clone, "sync")
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.startswith("origin: up to date")
    assert synced.stderr.startswith("bd: adopted origin's ledger")
    assert rev(clone, "refs/heads/beads") == rev(remote, "refs/heads/beads")


def test_sync_fetches_a_ledger_the_remote_got_after_the_clone(tmp_path: Path, repo: Path,
                                                              remote: Path) -> None:
    empty = tmp_path / "empty.git"
    git(tmp_path, "init", "-q", "--bare", str(empty))
    git(repo, "push", "-q", str(empty), "main")
    clone = clone_of(empty)
    assert run_bd(clone, "list").stderr.startswith("bd: no ledger here")
    nothing = run_bd(clone, "sync")
    assert nothing.returncode == 1
    assert nothing.stderr == "bd: no ledger here and none on origin: run " \
                             "`bd init --prefix <prefix>` first\n"
    git(repo, "push", "-q", str(empty), "beads")
    synced = run_bd(clone, "sync")
    assert synced.returncode == 0, synced.stderr
    assert "adopted origin's ledger" in synced.stderr
    assert rev(clone, "refs/heads/beads") == rev(empty, "refs/heads/beads")


def test_init_in_a_clone_adopts_instead_of_making_a_second_root(remote: Path) -> None:
    clone = clone_of(remote)
    theirs = rev(clone, "refs/remotes/origin/beads")
    result = run_bd(clone, "init")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ledger ready: prefix gt, refs/heads/beads at {theirs[:10]}\n"
    assert rev(clone, "refs/heads/beads") == theirs
    other = clone_of(remote, "other")
    refused = run_bd(other, "init", "--prefix", "xy")
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1] == "bd: a ledger with prefix 'gt' already exists here"
    assert rev(other, "refs/heads/beads") == theirs


def test_several_remotes_origin_is_preferred(tmp_path: Path, remote: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    git(elsewhere, "init", "-q", "-b", "main")
    Ledger.init(elsewhere, "zz", actor="carol").create("Elsewhere")
    clone = clone_of(remote)
    git(clone, "remote", "add", "upstream", str(elsewhere))
    git(clone, "fetch", "-q", "upstream")
    assert rev(clone, "refs/remotes/upstream/beads") is not None
    listed = run_bd(clone, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert rev(clone, "refs/heads/beads") == rev(clone, "refs/remotes/origin/beads")


def test_several_remotes_without_origin_are_named_and_nothing_is_made(
        tmp_path: Path, remote: Path) -> None:
    clone = clone_of(remote)
    git(clone, "remote", "rename", "origin", "alpha")
    second = tmp_path / "second"
    git(tmp_path, "clone", "-q", "--bare", str(remote), str(second))
    git(clone, "remote", "add", "beta", str(second))
    git(clone, "fetch", "-q", "beta")
    for command in (("list",), ("create", "X"), ("init",)):
        result = run_bd(clone, *command)
        assert result.returncode == 1
        assert result.stderr == ("bd: no local ledger, and several remotes have one (alpha, "
                                 "beta): adopt one with `git branch --track beads "
                                 "<remote>/beads`\n")
        assert rev(clone, "refs/heads/beads") is None
    git(clone, "branch", "-q", "--track", "beads", "beta/beads")
    assert run_bd(clone, "list").returncode == 0


def test_a_branch_named_beads_under_another_remote_branch_is_not_a_ledger(
        tmp_path: Path, repo: Path) -> None:
    git(repo, "branch", "feature/beads")
    clone = clone_of_plain(tmp_path, repo)
    assert rev(clone, "refs/remotes/origin/feature/beads") is not None
    listed = run_bd(clone, "list")
    assert listed.returncode == 1 and listed.stderr.startswith("bd: no ledger here")
    assert rev(clone, "refs/heads/beads") is None


def clone_of_plain(tmp_path: Path, repo: Path) -> Path:
    path = tmp_path / "plain-clone"
    git(tmp_path, "clone", "-q", str(repo), str(path))
    return path

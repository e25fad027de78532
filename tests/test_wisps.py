"""Wisps: ephemeral beads in the git index overlay, outside every commit and every push.

They live in `<git dir>/beads/wisps.index`, and the local ref `refs/beads/wisps` (a tree,
not a commit) keeps their blobs safe from `git gc`.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from beads import Ledger
from tests.conftest import bd_run, git, run_bd, tip

KEEP_REF = "refs/beads/wisps"


def bd(repo: Path, *args: str, stdin: str | None = None, actor: str = "alice") -> str:
    result = bd_run(repo, *args, stdin=stdin, actor=actor)
    assert result.returncode == 0, f"bd {' '.join(args)}: {result.stderr}"
    return result.stdout


def bd_json(repo: Path, *args: str, actor: str = "alice") -> Any:
    return json.loads(bd(repo, *args, "--json", actor=actor))


def overlay_entries(repo: Path) -> dict[str, str]:
    """path -> blob id, read from the overlay index file with git itself."""
    index = repo / ".git" / "beads" / "wisps.index"
    if not index.exists():
        return {}
    out = subprocess.run(["git", "ls-files", "-s"], cwd=repo, check=True, capture_output=True,
                         text=True, env={**os.environ, "GIT_INDEX_FILE": str(index)}).stdout
    entries = {}
    for row in out.splitlines():
        meta, path = row.split("\t", 1)
        entries[path] = meta.split()[1]
    return entries


def blob_of(repo: Path, bead_id: str) -> str:
    entries = overlay_entries(repo).items()
    [oid] = [oid for path, oid in entries if path.endswith(f"/{bead_id}.json")]
    return oid


def has_object(repo: Path, oid: str) -> bool:
    return subprocess.run(["git", "cat-file", "-e", oid], cwd=repo,
                          capture_output=True).returncode == 0


def ids(beads: list[dict[str, Any]]) -> list[str]:
    return [b["id"] for b in beads]


@pytest.fixture
def bd_repo(repo: Path) -> Path:
    bd(repo, "init", "--prefix", "gt")
    return repo


def test_wisp_is_listed_and_shown_but_never_ready(bd_repo: Path) -> None:
    work = bd_json(bd_repo, "create", "Real work")["id"]
    wisp = bd_json(bd_repo, "create", "Patrol step", "--ephemeral", "-p", "0")
    assert wisp["ephemeral"] is True and wisp["id"].startswith("gt-wisp-")
    assert "created wisp gt-wisp-" in bd(bd_repo, "create", "Another", "--ephemeral")
    assert wisp["id"] in ids(bd_json(bd_repo, "list"))
    assert bd_json(bd_repo, "show", wisp["id"])["title"] == "Patrol step"
    assert wisp["id"] in ids(bd_json(bd_repo, "wisp", "list"))
    assert work not in ids(bd_json(bd_repo, "list", "--wisps"))
    assert ids(bd_json(bd_repo, "ready")) == [work]
    claimed = bd_json(bd_repo, "ready", "--claim")
    assert claimed["id"] == work  # the P0 wisp is not offered
    stats = bd_json(bd_repo, "stats")
    assert stats["total"] == 1 and stats["wisps"] == 2
    child = bd_json(bd_repo, "create", "Sub-step", "--parent", wisp["id"])
    assert child["id"] == f"{wisp['id']}.1" and child["ephemeral"] is True


def test_wisps_are_never_committed(bd_repo: Path) -> None:
    wisp = bd_json(bd_repo, "create", "SECRET-WISP-TITLE", "--ephemeral", "-l", "wisplabel")
    bead_id = wisp["id"]
    # A committed write moves the Lamport clock past the wisp's creation, so the writes
    # below win regardless of the bug test_every_write_to_a_wisp_takes_effect checks.
    bd(bd_repo, "create", "Committed anchor")
    start = tip(bd_repo)
    bd(bd_repo, "update", bead_id, "--title", "SECRET-WISP-RENAMED")
    bd(bd_repo, "comment", "add", bead_id, "SECRET-WISP-COMMENT")
    bd(bd_repo, "label", "add", bead_id, "more")
    bd(bd_repo, "close", bead_id, "-r", "SECRET-WISP-REASON")
    assert tip(bd_repo) == start, "writes to a wisp make no commit"
    shown = bd_json(bd_repo, "show", bead_id)
    assert shown["status"] == "closed" and shown["comments"][0]["text"] == "SECRET-WISP-COMMENT"
    bd(bd_repo, "create", "Committed after the wisp")
    log = git(bd_repo, "log", "-p", "--format=%H%n%B", "beads")
    for secret in (bead_id, "SECRET-WISP"):
        assert secret not in log
    assert bead_id not in git(bd_repo, "ls-tree", "-r", "--name-only", "beads")
    every_object = git(bd_repo, "rev-list", "--objects", "beads")
    assert blob_of(bd_repo, bead_id) not in every_object
    assert "refs/beads/wisps" not in git(bd_repo, "for-each-ref", "refs/heads")


def test_wisps_are_never_pushed(bd_repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(bd_repo, "remote", "add", "origin", str(remote))
    bead = bd_json(bd_repo, "create", "Durable")["id"]
    wisp = bd_json(bd_repo, "create", "Scratch", "--ephemeral")["id"]
    oid = blob_of(bd_repo, wisp)
    git(bd_repo, "push", "-q", "origin", "beads")
    git(bd_repo, "push", "-q", "--all", "origin")
    git(bd_repo, "push", "-q", "--tags", "origin")
    refs = git(bd_repo, "ls-remote", "origin")
    names = {row.split("\t")[1] for row in refs.splitlines()}
    assert names == {"refs/heads/beads", "refs/heads/main"}
    assert not has_object(remote, oid)
    assert oid not in git(remote, "rev-list", "--objects", "--all")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    git(clone, "fetch", "-q", "origin", "beads:beads")
    listed = ids(bd_json(clone, "list"))
    assert listed == [bead] and wisp not in listed


def test_wisps_survive_gc_while_they_exist(bd_repo: Path) -> None:
    wisp = bd_json(bd_repo, "create", "Keep me", "--ephemeral")["id"]
    first = blob_of(bd_repo, wisp)
    assert first in git(bd_repo, "ls-tree", "-r", KEEP_REF)
    git(bd_repo, "reflog", "expire", "--expire=now", "--all")
    git(bd_repo, "gc", "-q", "--prune=now")
    assert has_object(bd_repo, first)
    later = bd_json(bd_repo, "create", "Made after gc", "--ephemeral")["id"]
    git(bd_repo, "gc", "-q", "--prune=now")
    assert has_object(bd_repo, first) and has_object(bd_repo, blob_of(bd_repo, later))
    bd(bd_repo, "cache", "rebuild")  # forces every wisp blob to be read again
    result = bd_run(bd_repo, "wisp", "list", "--json")
    assert result.returncode == 0 and result.stderr == ""
    assert sorted(ids(json.loads(result.stdout))) == sorted([wisp, later])
    assert bd_json(bd_repo, "show", wisp)["title"] == "Keep me"
    # Burned, a wisp is no longer protected: gc may take it.
    bd(bd_repo, "wisp", "burn", wisp)
    git(bd_repo, "reflog", "expire", "--expire=now", "--all")
    git(bd_repo, "gc", "-q", "--prune=now")
    assert not has_object(bd_repo, first)
    assert has_object(bd_repo, blob_of(bd_repo, later))


def test_every_write_to_a_wisp_takes_effect(bd_repo: Path) -> None:
    """Wisp writes make no commit, so the committed Lamport clock does not move between
    them; each must still win over the wisp's earlier writes (none may be dropped)."""
    ledger = Ledger(bd_repo, actor="alice")
    wisp = ledger.create("Version 0", ephemeral=True)["id"]
    for number in range(1, 7):
        ledger.update(wisp, {"title": f"Version {number}"})
        assert ledger.get(wisp)["title"] == f"Version {number}"
    ledger.update(wisp, {"priority": 0}, add_labels=["x"])
    ledger.close([wisp], reason="done")
    final = ledger.get(wisp)
    assert (final["priority"], final["labels"], final["status"]) == (0, ["x"], "closed")
    assert bd_json(bd_repo, "show", wisp)["title"] == "Version 6"


def _delete_loose_object(repo: Path, oid: str) -> None:
    path = repo / ".git" / "objects" / oid[:2] / oid[2:]
    assert path.is_file(), "a fresh wisp blob is a loose object"
    path.unlink()
    assert not has_object(repo, oid)


def test_missing_wisp_blob_is_reported_not_dropped(bd_repo: Path) -> None:
    bead = bd_json(bd_repo, "create", "Committed")["id"]
    wisp = bd_json(bd_repo, "create", "Doomed wisp", "--ephemeral")["id"]
    oid = blob_of(bd_repo, wisp)
    _delete_loose_object(bd_repo, oid)
    # Whatever the cache holds, the wisp is never silently gone.
    listed = run_bd(bd_repo, "list")
    assert listed.returncode == 0
    assert wisp in listed.stdout or (wisp in listed.stderr and "missing" in listed.stderr)
    bd(bd_repo, "cache", "rebuild")
    for args in (("list",), ("show", bead), ("ready",), ("wisp", "list")):
        result = run_bd(bd_repo, *args)
        assert result.returncode == 0, result.stderr
        warnings = [r for r in result.stderr.splitlines() if r.startswith("bd: warning:")]
        assert len(warnings) == 1, (args, result.stderr)
        assert wisp in warnings[0] and oid in warnings[0] and "missing" in warnings[0]
    assert bead in bd(bd_repo, "list")
    as_json = run_bd(bd_repo, "list", "--json")
    assert ids(json.loads(as_json.stdout)) == [bead] and wisp in as_json.stderr
    shown = run_bd(bd_repo, "show", wisp)
    assert shown.returncode == 1 and wisp in shown.stderr
    assert overlay_entries(bd_repo), "the broken entry is kept, not dropped"


def test_a_wisp_with_a_missing_blob_can_still_be_burned(bd_repo: Path) -> None:
    """The warning says the entry is kept; `bd wisp burn` must be able to remove it."""
    wisp = bd_json(bd_repo, "create", "Broken wisp", "--ephemeral")["id"]
    _delete_loose_object(bd_repo, blob_of(bd_repo, wisp))
    bd(bd_repo, "cache", "rebuild")
    burned = bd_run(bd_repo, "wisp", "burn", wisp)
    assert burned.returncode == 0, burned.stderr
    assert overlay_entries(bd_repo) == {}
    after = bd_run(bd_repo, "list")
    assert after.returncode == 0 and "warning" not in after.stderr


def test_burn(bd_repo: Path) -> None:
    start = tip(bd_repo)
    bead = bd_json(bd_repo, "create", "Committed")["id"]
    one, two = (bd_json(bd_repo, "create", t, "--ephemeral")["id"] for t in ("w1", "w2"))
    after_create = tip(bd_repo)
    assert bd_json(bd_repo, "wisp", "burn", one, two) == {"schema_version": 1,
                                                         "burned": [one, two]}
    assert tip(bd_repo) == after_create != start
    assert bd_json(bd_repo, "wisp", "list") == []
    assert ids(bd_json(bd_repo, "list")) == [bead]
    missing = bd_run(bd_repo, "show", one, "--json")
    assert missing.returncode == 1 and json.loads(missing.stderr)["code"] == "not_found"
    refused = bd_run(bd_repo, "wisp", "burn", bead)
    assert refused.returncode == 1 and "not a wisp" in refused.stderr
    assert overlay_entries(bd_repo) == {}
    assert git(bd_repo, "ls-tree", "-r", KEEP_REF) == ""


def test_squash_commits_one_digest_and_burns_the_family(bd_repo: Path) -> None:
    root = bd_json(bd_repo, "create", "Patrol", "--ephemeral", "-t", "epic")["id"]
    kids = [bd_json(bd_repo, "create", f"step {n}", "--parent", root)["id"] for n in (1, 2)]
    other = bd_json(bd_repo, "create", "Unrelated wisp", "--ephemeral")["id"]
    # A committed write moves the Lamport clock past the wisps' creation, so the closes
    # below win regardless of the bug test_every_write_to_a_wisp_takes_effect checks.
    bd(bd_repo, "create", "Committed anchor")
    bd(bd_repo, "close", *kids, "-r", "fine")
    bd(bd_repo, "close", root)
    before = len(git(bd_repo, "rev-list", "beads").split())
    digest = bd_json(bd_repo, "wisp", "squash", root)
    assert digest["title"] == "Digest: Patrol" and digest["labels"] == ["digest"]
    assert "ephemeral" not in digest and not digest["id"].startswith("gt-wisp-")
    assert digest["issue_type"] == "epic"
    assert digest["status"] == "closed" and digest["close_reason"] == "squashed"
    for bead_id in (root, *kids):
        assert bead_id in digest["description"]
    assert "step 1" in digest["description"] and ": fine" in digest["description"]
    assert ids(bd_json(bd_repo, "wisp", "list")) == [other]
    assert len(git(bd_repo, "rev-list", "beads").split()) > before
    tree = git(bd_repo, "ls-tree", "-r", "--name-only", "beads")
    assert f"/{digest['id']}.json" in tree and root not in tree
    open_root = bd_json(bd_repo, "create", "Open patrol", "--ephemeral")["id"]
    human = bd(bd_repo, "wisp", "squash", open_root, "--title", "Custom digest")
    assert human.startswith("squashed into gt-") and "Custom digest" in human
    assert bd_json(bd_repo, "search", "Custom digest")[0]["status"] == "open"


def test_promote_commits_the_wisp_with_the_same_id(bd_repo: Path) -> None:
    anchor = bd_json(bd_repo, "create", "Anchor")["id"]
    wisp = bd_json(bd_repo, "create", "Worth keeping", "--ephemeral", "-l", "keep",
                   "-d", "details", "--deps", anchor)["id"]
    bd(bd_repo, "comment", "add", wisp, "a remark")
    before = bd_json(bd_repo, "show", wisp)
    start = tip(bd_repo)
    promoted = bd_json(bd_repo, "promote", wisp)
    assert promoted["id"] == wisp and "ephemeral" not in promoted
    assert tip(bd_repo) != start
    assert f"/{wisp}.json" in git(bd_repo, "ls-tree", "-r", "--name-only", "beads")
    assert overlay_entries(bd_repo) == {}
    assert bd_json(bd_repo, "wisp", "list") == []
    after = bd_json(bd_repo, "show", wisp)
    for key in ("title", "description", "labels", "created_at", "created_by"):
        assert after[key] == before[key], key
    assert [c["text"] for c in after["comments"]] == ["a remark"]
    assert [d["depends_on_id"] for d in after["dependencies"]] == [anchor]
    assert wisp in ids(bd_json(bd_repo, "ready")) or after["blocked_by"]
    assert bd_json(bd_repo, "verify")["ok"] is True

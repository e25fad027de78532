"""`bd show` and `bd history` (beads/cli/showing.py), also as of a commit or a date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pygit2
import pytest

from tests.bd_helpers import ids, js, json_error, new, ok
from tests.conftest import tip


def test_show_one_several_and_partial(bd_repo: Path) -> None:
    a = new(bd_repo, "Alpha", "-l", "x")
    b = new(bd_repo, "Beta", "--deps", a)
    one = js(bd_repo, "show", a)
    assert one["id"] == a
    assert [(d["id"], d["dependency_type"]) for d in one["dependents"]] == [(b, "blocks")]
    assert one["blocked_by"] == []
    both = js(bd_repo, "show", a, b)
    assert ids(both) == [a, b]
    assert both[1]["blockers"] == [{"id": a, "reason": "blocks"}]
    assert both[1]["blocked_by"] == [a]
    assert js(bd_repo, "show", b[3:])["id"] == b
    human = ok(bd_repo, "show", a, b).stdout
    assert "Alpha" in human and "Beta" in human and "labels: x" in human


def test_show_as_of_commit(bd_repo: Path) -> None:
    bead = new(bd_repo, "Old title")
    first = tip(bd_repo)
    ok(bd_repo, "update", bead, "--title", "Middle title")
    ok(bd_repo, "update", bead, "--title", "New title")
    then = js(bd_repo, "show", bead, "--as-of", first)
    assert then["title"] == "Old title" and then["as_of"] == first
    assert js(bd_repo, "show", bead, "--as-of", "beads~1")["title"] == "Middle title"
    assert js(bd_repo, "show", bead, "--as-of", first[:12])["title"] == "Old title"
    assert js(bd_repo, "show", bead)["title"] == "New title"
    human = ok(bd_repo, "show", bead, "--as-of", first).stdout
    assert f"(as of commit {first[:10]})" in human and "Old title" in human


def test_show_as_of_date(bd_repo: Path) -> None:
    bead = new(bd_repo, "Dated")
    later = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert js(bd_repo, "show", bead, "--as-of", later)["title"] == "Dated"
    error = json_error(bd_repo, "show", bead, "--as-of", "2000-01-01")
    assert error["code"] == "not_found" and "2000-01-01" in error["error"]
    assert json_error(bd_repo, "show", bead, "--as-of", "not-a-date")["code"] == "invalid_input"


def test_show_as_of_date_picks_the_newest_commit_at_that_time(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commits made within one second share a commit time; `--as-of` must still pick the
    newest of them, not whichever a time-sorted walk happens to list first."""
    base = 1_800_000_000
    times = iter([base, base, base + 10])
    real_signature = pygit2.Signature

    def signature(name: str, email: str, *_args: Any, **_kwargs: Any) -> pygit2.Signature:
        return real_signature(name, email, next(times), 0)

    monkeypatch.setattr(pygit2, "Signature", signature)
    ok(repo, "init", "--prefix", "gt")          # commit time: base
    bead = new(repo, "Version one")             # commit time: base (same second)
    ok(repo, "update", bead, "--title", "Version two")  # commit time: base + 10
    between = datetime.fromtimestamp(base + 5, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert js(repo, "show", bead, "--as-of", between)["title"] == "Version one"


def test_history(bd_repo: Path) -> None:
    bead = new(bd_repo, "Storied")
    ok(bd_repo, "update", bead, "--title", "Renamed", actor="bob")
    ok(bd_repo, "label", "add", bead, "l1")
    ok(bd_repo, "comment", "add", bead, "hi")
    ok(bd_repo, "close", bead)
    events = js(bd_repo, "history", bead)
    assert [e["op"] for e in events] == ["create", "update", "label.add", "comment.add",
                                         "close"]
    assert [e["actor"] for e in events][:2] == ["alice", "bob"]
    assert events[-1]["commit"] == tip(bd_repo)
    assert events[1]["data"]["set"]["title"] == "Renamed"
    assert all(e["bead"] == bead and e["ts"] for e in events)
    human = ok(bd_repo, "history", bead).stdout.splitlines()
    assert len(human) == 5 and " bob  update " in human[1]
    assert json_error(bd_repo, "history", "gt-nothere")["code"] == "not_found"

"""Links to another project's bead, `external:<project>:<id>` as Beads writes them: accepted by
`bd dep add` and `bd create --deps`, never blocking, and kept through export and import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from beads import Ledger, guards
from tests.conftest import bd_run, git, tip

EXTERNAL = "external:proj:x-1"


def js(repo: Path, *args: str, stdin: str | None = None) -> Any:
    result = bd_run(repo, *args, "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def targets(repo: Path, bead_id: str) -> set[tuple[str, str]]:
    shown = js(repo, "show", bead_id)
    return {(d["type"], d["depends_on_id"])
            for d in shown.get("dependencies", []) + shown.get("external_dependencies", [])}


@pytest.fixture
def bd_repo(ledger: Ledger, repo: Path) -> Path:
    return repo


def test_dep_add_accepts_an_external_target_and_it_never_blocks(bd_repo: Path) -> None:
    a = js(bd_repo, "create", "Needs another project")["id"]
    result = bd_run(bd_repo, "dep", "add", a, EXTERNAL)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{a} depends on {EXTERNAL} (blocks)\n"
    assert js(bd_repo, "dep", "add", a, "external:other:gt-7k2.1", "-t", "waits-for") == \
        {"schema_version": 1, "issue_id": a, "depends_on_id": "external:other:gt-7k2.1",
         "type": "waits-for"}
    assert targets(bd_repo, a) == {("blocks", EXTERNAL), ("waits-for", "external:other:gt-7k2.1")}
    assert [b["id"] for b in js(bd_repo, "ready")] == [a]
    assert js(bd_repo, "blocked") == []
    assert js(bd_repo, "show", a)["blocked_by"] == []
    listed = js(bd_repo, "dep", "list", a)["depends_on"]
    assert {d["id"] for d in listed} == {EXTERNAL, "external:other:gt-7k2.1"}
    tree = js(bd_repo, "dep", "tree", a)
    assert {(c["id"], c["status"]) for c in tree["children"]} == \
        {(EXTERNAL, "external"), ("external:other:gt-7k2.1", "external")}
    # Adding it again changes nothing; removing it works like any link.
    before = tip(bd_repo)
    assert bd_run(bd_repo, "dep", "add", a, EXTERNAL).returncode == 0
    assert tip(bd_repo) == before
    assert js(bd_repo, "dep", "rm", a, EXTERNAL) == {"schema_version": 1, "removed": 1}
    assert targets(bd_repo, a) == {("waits-for", "external:other:gt-7k2.1")}
    assert js(bd_repo, "close", a)[0]["status"] == "closed"
    assert js(bd_repo, "verify")["ok"] is True


def test_create_accepts_external_targets(bd_repo: Path) -> None:
    bead = js(bd_repo, "create", "Two externals", "--deps",
              f"{EXTERNAL},related:external:proj:x-2")
    assert targets(bd_repo, bead["id"]) == {("blocks", EXTERNAL),
                                            ("related", "external:proj:x-2")}


@pytest.mark.parametrize("target", ["external:proj", "external::x-1", "external:pr oj:x-1",
                                    "external:proj:../x", "external:proj:x\x1b[2J"])
def test_a_malformed_external_target_is_refused(bd_repo: Path, target: str) -> None:
    a = js(bd_repo, "create", "A")["id"]
    before = tip(bd_repo)
    result = bd_run(bd_repo, "dep", "add", a, target)
    assert result.returncode == 1
    assert result.stderr.startswith("bd: invalid external dependency")
    assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr
    assert tip(bd_repo) == before


def test_external_targets_round_trip_through_export_and_import(
        ledger: Ledger, bd_repo: Path, tmp_path: Path) -> None:
    a = ledger.create("A", bead_id="gt-a")["id"]
    ledger.dep_add(a, EXTERNAL)
    ledger.dep_add(a, "external:proj:x-2", "related")
    exported = bd_run(bd_repo, "export").stdout
    record = json.loads(exported)
    assert {(d["type"], d["depends_on_id"]) for d in record["dependencies"]} == \
        {("blocks", EXTERNAL), ("related", "external:proj:x-2")}
    # Into the same ledger: nothing changes.
    before = tip(bd_repo)
    assert js(bd_repo, "import", "-", stdin=exported)["unchanged"] == 1
    assert tip(bd_repo) == before
    # Into another ledger: the same links, and the same export.
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    js(other, "init", "--prefix", "gt")
    assert js(other, "import", "-", stdin=exported)["created"] == 1
    assert targets(other, a) == targets(bd_repo, a)
    assert bd_run(other, "export").stdout == exported
    assert [b["id"] for b in js(other, "ready")] == [a]


def test_link_target_takes_an_external_target_as_given_without_a_lookup() -> None:
    def never(*_args: str) -> str:
        raise AssertionError("an external target is never looked up")

    for kind in ("blocks", "tracks", "parent-child"):
        assert guards.link_target(kind, EXTERNAL, never, never) == EXTERNAL
    assert guards.is_external(EXTERNAL) and not guards.is_external("gt-external")

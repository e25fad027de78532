"""`bd dep add|rm|list|tree|cycles` (beads/cli/deps.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.bd_helpers import ids, js, json_error, new, ok


def test_dep_add_rm_list_tree(bd_repo: Path) -> None:
    a, b, c = (new(bd_repo, t) for t in ("A", "B", "C"))
    assert js(bd_repo, "dep", "add", a, b) == {"schema_version": 1, "issue_id": a,
                                               "depends_on_id": b, "type": "blocks"}
    js(bd_repo, "dep", "add", b, c)
    js(bd_repo, "dep", "add", a, c, "-t", "related")
    listed = js(bd_repo, "dep", "list", a)
    assert listed["depends_on"] == [{"id": b, "type": "blocks"}, {"id": c, "type": "related"}]
    assert listed["dependents"] == []
    assert js(bd_repo, "dep", "list", c)["dependents"] == [{"id": b, "type": "blocks"},
                                                           {"id": a, "type": "related"}]
    tree = js(bd_repo, "dep", "tree", a)
    assert tree["id"] == a and [n["id"] for n in tree["children"]] == [b, c]
    assert tree["children"][0]["children"][0]["id"] == c
    reverse = js(bd_repo, "dep", "tree", c, "--reverse")
    assert {n["id"] for n in reverse["children"]} == {a, b}
    shallow = js(bd_repo, "dep", "tree", a, "--depth", "1")
    assert all(n["children"] == [] for n in shallow["children"])
    assert f"  {b} [open] B (blocks)" in ok(bd_repo, "dep", "tree", a).stdout
    assert js(bd_repo, "dep", "rm", a, c) == {"schema_version": 1, "removed": 1}
    assert js(bd_repo, "dep", "list", a)["depends_on"] == [{"id": b, "type": "blocks"}]
    assert json_error(bd_repo, "dep", "rm", a, c)["code"] == "not_found"
    assert json_error(bd_repo, "dep", "add", c, a)["code"] == "dependency_cycle"
    assert json_error(bd_repo, "dep", "add", a, b, "-t", "nonsense")["code"] == "invalid_input"


def test_dep_waits_for_gate_and_hierarchy_tree(bd_repo: Path) -> None:
    fanout = new(bd_repo, "Fan out", "-t", "epic")
    kids = [new(bd_repo, f"kid {n}", "--parent", fanout) for n in range(2)]
    join = new(bd_repo, "Join any")
    js(bd_repo, "dep", "add", join, fanout, "-t", "waits-for", "--gate", "any")
    assert join not in ids(js(bd_repo, "ready"))
    ok(bd_repo, "close", kids[0])
    assert join in ids(js(bd_repo, "ready"))
    plain = js(bd_repo, "dep", "tree", kids[1])
    assert plain["children"] == []
    hierarchy = js(bd_repo, "dep", "tree", kids[1], "--hierarchy")
    assert [n["id"] for n in hierarchy["children"]] == [fanout]


def test_dep_cycles(bd_repo: Path, tmp_path: Path) -> None:
    assert js(bd_repo, "dep", "cycles") == {"schema_version": 1, "cycles": []}
    assert ok(bd_repo, "dep", "cycles").stdout == "no dependency cycles\n"
    # Every write refuses a cycle (import too); a merge of two clones can still make one.
    js(bd_repo, "create", "A", "--id", "gt-a")
    js(bd_repo, "create", "B", "--id", "gt-b")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(bd_repo), str(clone)], check=True)
    js(bd_repo, "dep", "add", "gt-a", "gt-b")
    js(clone, "dep", "add", "gt-b", "gt-a")
    js(clone, "sync")
    assert js(clone, "dep", "cycles")["cycles"] == [["gt-a", "gt-b", "gt-a"]]
    assert "gt-a -> gt-b -> gt-a" in ok(clone, "dep", "cycles").stdout

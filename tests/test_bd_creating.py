"""`bd create` (beads/cli/creating.py): every field flag, deps, parents, --file batches."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bd_helpers import js, new, ok
from tests.conftest import git


def test_create_with_every_field_flag(bd_repo: Path) -> None:
    bead = js(bd_repo, "create", "--title", "Everything", "-d", "the description",
              "--design", "the design", "--acceptance", "it works", "--notes", "a note",
              "-p", "P1", "-t", "bug", "-a", "bob", "--owner", "olive", "-l", "b,a",
              "-l", "c", "--due", "2030-01-02", "--defer", "2020-01-01T10:00:00Z",
              "--estimate", "90", "--external-ref", "gh-12", "--metadata", '{"k": [1, 2]}',
              "--id", "gt-every")
    expected = {"id": "gt-every", "title": "Everything", "description": "the description",
                "design": "the design", "acceptance_criteria": "it works", "notes": "a note",
                "priority": 1, "issue_type": "bug", "assignee": "bob", "owner": "olive",
                "labels": ["a", "b", "c"], "due_at": "2030-01-02T00:00:00.000Z",
                "defer_until": "2020-01-01T10:00:00Z", "estimated_minutes": 90,
                "external_ref": "gh-12", "metadata": {"k": [1, 2]}, "status": "open",
                "created_by": "alice"}
    for key, value in expected.items():
        assert bead[key] == value, key
    assert bead["created_at"] == bead["updated_at"]
    shown = js(bd_repo, "show", "gt-every")
    for key, value in expected.items():
        assert shown[key] == value, key


def test_create_defaults_title_argument_and_description_from_stdin(bd_repo: Path) -> None:
    bead = js(bd_repo, "create", "Plain", "-d", "-", stdin="from stdin\nline two")
    assert bead["priority"] == 2 and bead["issue_type"] == "task" and bead["status"] == "open"
    assert bead["description"] == "from stdin\nline two"
    assert bead["id"].startswith("gt-")


def test_create_deps_and_parent(bd_repo: Path) -> None:
    a, b, c = (new(bd_repo, t) for t in ("A", "B", "C"))
    bead = js(bd_repo, "create", "Depends", "--deps", f"blocks:{a},related:{b}", "--deps", c)
    deps = {(d["type"], d["depends_on_id"]) for d in bead["dependencies"]}
    assert deps == {("blocks", a), ("related", b), ("blocks", c)}
    assert all(d["issue_id"] == bead["id"] for d in bead["dependencies"])
    epic = new(bd_repo, "Epic", "-t", "epic")
    child = js(bd_repo, "create", "Child", "--parent", epic)
    assert child["id"] == f"{epic}.1" and child["parent"] == epic
    second = js(bd_repo, "create", "Child 2", "--parent", epic[3:])  # a partial id works
    assert second["id"] == f"{epic}.2"
    grandchild = js(bd_repo, "create", "Grandchild", "--parent", child["id"])
    assert grandchild["id"] == f"{epic}.1.1"


def test_create_from_jsonl_file_json_array_and_stdin(bd_repo: Path, tmp_path: Path) -> None:
    before = len(git(bd_repo, "rev-list", "beads").split())
    ok(bd_repo, "create", "Target", "--id", "gt-target")
    jsonl = tmp_path / "many.jsonl"
    jsonl.write_text('{"title": "One", "priority": 0, "labels": ["x"]}\n\n'
                     '{"title": "Two", "id": "gt-two", "issue_type": "bug",'
                     ' "deps": ["related:gt-target"]}\n')
    created = js(bd_repo, "create", "--file", str(jsonl))
    assert [b["title"] for b in created] == ["One", "Two"]
    assert created[0]["priority"] == 0 and created[0]["labels"] == ["x"]
    assert created[1]["id"] == "gt-two" and created[1]["issue_type"] == "bug"
    assert created[1]["dependencies"][0]["depends_on_id"] == "gt-target"
    assert created[1]["dependencies"][0]["type"] == "related"
    array = tmp_path / "many.json"
    array.write_text(json.dumps([{"title": "Three", "description": "d"},
                                 {"title": "Four", "deps": [{"type": "blocks",
                                                             "depends_on_id": "gt-two"}]}]))
    created = js(bd_repo, "create", "--file", str(array))
    assert [b["title"] for b in created] == ["Three", "Four"]
    assert created[1]["dependencies"][0]["depends_on_id"] == "gt-two"
    from_stdin = js(bd_repo, "create", "--file", "-",
                    stdin='{"title": "Five"}\n{"title": "Six", "ephemeral": false}\n')
    assert [b["title"] for b in from_stdin] == ["Five", "Six"]
    single = js(bd_repo, "create", "--file", "-", stdin='[{"title": "Seven"}]')
    assert isinstance(single, list) and single[0]["title"] == "Seven"
    # One commit for each create (the target, then each --file batch).
    assert len(git(bd_repo, "rev-list", "beads").split()) == before + 5


def test_create_silent_and_human_output(bd_repo: Path) -> None:
    silent = ok(bd_repo, "create", "Quiet", "--silent").stdout
    assert silent.strip().startswith("gt-") and len(silent.strip().split()) == 1
    loud = ok(bd_repo, "create", "Loud").stdout
    assert loud.startswith("created bead gt-") and loud.rstrip().endswith(": Loud")

"""`bd label add|rm|list` (beads/cli/labels.py)."""

from __future__ import annotations

from pathlib import Path

from tests.bd_helpers import js, json_error, new, ok


def test_label_add_rm_list(bd_repo: Path) -> None:
    a, b = new(bd_repo, "A"), new(bd_repo, "B", "-l", "old")
    assert js(bd_repo, "label", "add", a, b, "urgent") == {
        "schema_version": 1, "ids": [a, b], "label": "urgent", "action": "add"}
    assert js(bd_repo, "label", "list", a) == {"schema_version": 1, "labels": ["urgent"]}
    assert js(bd_repo, "label", "list")["labels"] == {"old": 1, "urgent": 2}
    js(bd_repo, "label", "rm", b, "old")
    assert js(bd_repo, "show", b)["labels"] == ["urgent"]
    assert ok(bd_repo, "label", "list").stdout == "urgent  2\n"
    assert json_error(bd_repo, "label", "add", a, "bad,label")["code"] == "invalid_input"

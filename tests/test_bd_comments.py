"""`bd comment add|list` (beads/cli/comments.py)."""

from __future__ import annotations

from pathlib import Path

from tests.bd_helpers import js, json_error, new, ok


def test_comment_add_list(bd_repo: Path) -> None:
    bead = new(bd_repo, "Discussed")
    assert js(bd_repo, "comment", "list", bead) == []
    first = js(bd_repo, "comment", "add", bead, "first\nsecond line")
    assert first["text"] == "first\nsecond line" and first["author"] == "alice"
    assert first["created_at"] and first["id"]
    js(bd_repo, "comments", "add", bead, "-", stdin="from stdin", actor="bob")
    listed = js(bd_repo, "comment", "list", bead)
    assert [(c["author"], c["text"]) for c in listed] == [("alice", "first\nsecond line"),
                                                         ("bob", "from stdin")]
    human = ok(bd_repo, "comment", "list", bead).stdout
    assert "alice:\n  first\n  second line\n" in human
    assert json_error(bd_repo, "comment", "add", bead, "   ")["code"] == "invalid_input"

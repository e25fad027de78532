"""`bd wisp list|burn|squash` and `bd promote` (beads/cli/wisps.py)."""

from __future__ import annotations

from pathlib import Path

from tests.bd_helpers import ids, js, new, ok


def test_wisp_commands_json(bd_repo: Path) -> None:
    wisp = js(bd_repo, "create", "Scratch", "--ephemeral")
    assert wisp["ephemeral"] is True and "-wisp-" in wisp["id"]
    assert ids(js(bd_repo, "wisp", "list")) == [wisp["id"]]
    assert ids(js(bd_repo, "list", "--wisps")) == [wisp["id"]]
    other = new(bd_repo, "Scratch 2", "--ephemeral")
    assert js(bd_repo, "wisp", "burn", other) == {"schema_version": 1, "burned": [other]}
    third = new(bd_repo, "Scratch 3", "--ephemeral")
    digest = js(bd_repo, "wisp", "squash", third, "--title", "Summary")
    assert digest["title"] == "Summary" and digest["labels"] == ["digest"]
    assert ids(js(bd_repo, "wisp", "list")) == [wisp["id"]]
    promoted = js(bd_repo, "promote", wisp["id"])
    assert promoted["id"] == wisp["id"] and "ephemeral" not in promoted
    assert js(bd_repo, "wisp", "list") == []
    assert ok(bd_repo, "wisp", "list").stdout == "no wisps\n"

"""A bead's title is data on the project's branches too: the commits gt makes that name it
(the scripted agent's, the Refinery's merge on main) carry it on one line, its control
characters folded to spaces as in the ledger's own summaries."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.gt_helpers import bd, gt, make_town, run, wait_for

HOSTILE = ("Fix \x1b]0;owned\x07 the\r\nSigned-off-by: mallory <m@example.com>\x1b[2J"
           "\x85bug\u2028end\x7f")
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def show(town: Path, bead: str) -> dict:
    return json.loads(bd(town, "show", bead, "--json").stdout)


@pytest.mark.slow
def test_a_hostile_title_reaches_main_folded_in_the_agents_and_the_merge_commit(
        tmp_path: Path) -> None:
    town = make_town(tmp_path)
    script = {"edits": [{"op": "write", "path": "feature.txt", "content": "done\n"}]}
    bead = json.loads(bd(town / "proj", "create", HOSTILE, "--metadata",
                         json.dumps({"script": script}), "--json").stdout)["id"]
    assert show(town, bead)["title"] == HOSTILE  # the ledger keeps the title as it was
    gt(town, "sling", bead, "proj", "--no-convoy")
    wait_for(lambda: show(town, bead).get("mr_state") == "pending", timeout=60)
    merged = json.loads(gt(town, "refinery", "run", "proj", "--once", "--json").stdout)
    assert [m["action"] for m in merged] == ["merged"]
    repo = town / "proj" / ".repo.git"
    messages = run(["git", "log", "--format=%B%x00", "main"], repo).stdout.split("\0")
    named = [m.strip("\n") for m in messages if bead in m]
    assert len(named) == 2, named  # the agent's commit and the Refinery's merge
    for message in named:
        assert not CONTROL.search(message), repr(message)
        assert "\n" not in message, repr(message)
        assert "Signed-off-by: mallory" in message  # folded, not dropped
    assert any(m.startswith(f"Merge {bead}: Fix ") for m in named)
    assert any(m.startswith(f"{bead}: Fix ") for m in named)
    trailers = run(["git", "log", "--format=%(trailers:key=Signed-off-by)", "main"],
                   repo).stdout
    assert "mallory" not in trailers


def test_the_towns_own_commits_fold_what_a_command_was_given(tmp_path: Path) -> None:
    """Town config changes are commits on the town's main: a name given on the command line
    is folded there too."""
    town = tmp_path / "town"
    gt(tmp_path, "install", str(town), "--no-tmux")
    gt(town, "config", "agent", "set", "odd\x1b[2J\nname", "echo hi")
    subject = run(["git", "log", "--format=%B", "-n", "1"], town).stdout.strip("\n")
    assert subject == "gt config agent set odd [2J name"

"""A rig whose ledger ref names no commit: the reactor says so once, in one line, and goes on
reacting to the town's other ledgers; mended, the rig is scanned again."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.gt_helpers import bd, gt, make_project, make_town, start_reactor, wait_for
from tests.test_reactor import stop


@pytest.mark.slow
def test_a_broken_ledger_ref_in_one_rig_is_reported_once_and_the_others_go_on(
        tmp_path: Path) -> None:
    town = make_town(tmp_path)
    gt(town, "rig", "add", "two", str(make_project(tmp_path / "two-src")), "--prefix", "tw")
    repo = town / "two" / ".repo.git"
    good = subprocess.run(["git", "rev-parse", "refs/heads/beads"], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()
    tree = subprocess.run(["git", "rev-parse", f"{good}^{{tree}}"], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()
    (repo / "refs" / "heads" / "beads").write_text(tree + "\n")
    log = tmp_path / "reactor.log"
    reactor = start_reactor(town, log)
    try:
        beads = [json.loads(bd(town / "proj", "create", f"b{n}", "--json").stdout)["id"]
                 for n in range(2)]
        convoy = json.loads(gt(town, "convoy", "create", "Batch", *beads,
                               "--json").stdout)["id"]
        bd(town / "proj", "close", *beads)
        # several scans later, the reactor is alive and still lands the convoy of the healthy rig
        wait_for(lambda: json.loads(bd(town, "show", convoy, "--json").stdout)["status"]
                 == "closed", what="the healthy rig's convoy to land")
        assert reactor.poll() is None, log.read_text()
        text = log.read_text()
        assert "Traceback" not in text, text
        broken = [line for line in text.splitlines() if "refs/heads/beads is broken" in line]
        assert len(broken) == 1, text
        assert "[two] skipped:" in broken[0] and "git update-ref" in broken[0]
        # mended, the rig is scanned again, and that is said once
        (repo / "refs" / "heads" / "beads").write_text(good + "\n")
        bd(town / "proj", "create", "one more scan")
        wait_for(lambda: "[two] the ledger ref names a commit again" in log.read_text(),
                 what="the reactor to see the mended ref")
        assert reactor.poll() is None
    finally:
        stop(reactor)

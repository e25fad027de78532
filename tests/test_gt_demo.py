"""`gt demo` end to end: scripted polecats in tmux and as plain processes land a convoy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.gt_helpers import bd, gt, run


def _check(result: dict, root: Path) -> None:
    assert result["convoy"]["status"] == "closed"
    assert result["convoy"]["closed"] == result["convoy"]["total"] == 8
    beads = {row["title"]: row for row in result["beads"]}
    assert beads["Add division"]["rejections"] == 1
    conflicted = [b for b in beads.values() if b["conflicts"]]
    assert len(conflicted) == 1
    assert any(title.startswith("Resolve conflict in calc.py") for title in beads)
    assert all(row["merged_commit"] for row in result["beads"])
    powers = beads["Add powers"]["steps"]
    assert [s["id"] for s in powers] == ["orient", "implement", "verify", "self-review",
                                         "submit"]
    assert all(s["state"] == "done" for s in powers)
    assert not [row for row in result["beads"] if row["title"] in {s["title"] for s in powers}]
    repo = root / "town" / "calc" / ".repo.git"
    tests = run(["git", "ls-tree", "--name-only", "main"], repo).stdout.split()
    assert {"calc_div.py", "calc_mul.py", "calc_pow.py", "calc_sub.py", "cli.py"} <= set(tests)
    calc = run(["git", "show", "main:calc.py"], repo).stdout
    assert '"sub"' in calc and '"mul"' in calc
    division = run(["git", "show", "main:calc_div.py"], repo).stdout
    assert "a / b" in division
    verify = json.loads(bd(root / "town" / "calc", "verify", "--json").stdout)
    assert verify["ok"], verify
    assert json.loads(gt(root / "town", "session", "list", "--json").stdout)["sessions"] == []
    assert not list((root / "town" / "calc" / "polecats").glob("*/calc.py"))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_demo_in_tmux(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    result = json.loads(gt(tmp_path, "demo", "--dir", str(root), "--json").stdout)
    _check(result, root)


@pytest.mark.slow
def test_demo_without_tmux(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    result = json.loads(gt(tmp_path, "demo", "--dir", str(root), "--no-tmux", "--json").stdout)
    _check(result, root)


def test_demo_refuses_a_used_directory(tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep").write_text("x")
    result = gt(tmp_path, "demo", "--dir", str(tmp_path / "used"), check=False)
    assert result.returncode == 1 and "not empty" in result.stderr

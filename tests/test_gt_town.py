"""Towns and rigs: gt install, gt rig, gt crew, and finding the right ledger from anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gt_helpers import bd, gt, make_project


@pytest.fixture
def town(tmp_path: Path) -> Path:
    root = tmp_path / "town"
    gt(tmp_path, "install", str(root))
    return root


def test_install_makes_a_town_with_its_ledger_and_agents(town: Path) -> None:
    assert (town / "town.toml").is_file()
    agents = json.loads(gt(town, "agents", "--json").stdout)
    assert {a["agent"] for a in agents} == {"mayor", "deacon"}
    assert json.loads(bd(town, "show", "hq-mayor", "--json").stdout)["issue_type"] == "agent"


def test_install_is_idempotent_and_refuses_a_foreign_directory(town: Path,
                                                              tmp_path: Path) -> None:
    gt(tmp_path, "install", str(town))
    assert len(json.loads(gt(town, "agents", "--json").stdout)) == 2
    other = tmp_path / "other"
    other.mkdir()
    (other / "file.txt").write_text("mine")
    result = gt(tmp_path, "install", str(other), check=False)
    assert result.returncode == 1
    assert "not empty" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (other / "file.txt").read_text() == "mine"


def test_rig_add_list_and_ledger_routing(town: Path, tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    added = json.loads(gt(town, "rig", "add", "gastown", str(project), "--prefix", "gt",
                          "--json").stdout)
    assert added["prefix"] == "gt" and added["branch"] == "main"
    rigs = json.loads(gt(town, "rig", "list", "--json").stdout)
    assert [r["rig"] for r in rigs] == ["gastown"]
    rig_dir = town / "gastown"
    created = json.loads(bd(rig_dir, "create", "Rig work", "--json").stdout)
    assert created["id"].startswith("gt-")
    town_bead = json.loads(bd(town / "mayor", "create", "Town work", "--json").stdout)
    assert town_bead["id"].startswith("hq-")
    # from the town root, the id's prefix routes to the rig's ledger
    shown = json.loads(bd(town, "show", created["id"], "--json").stdout)
    assert shown["title"] == "Rig work"
    # inside the refinery worktree, bd uses the rig's ledger
    listed = json.loads(bd(rig_dir / "refinery" / "rig", "list", "--json").stdout)
    assert created["id"] in {b["id"] for b in listed}


def test_rig_add_refuses_what_is_not_a_repository(town: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    result = gt(town, "rig", "add", "broken", str(plain), check=False)
    assert result.returncode == 1 and "not a git repository" in result.stderr
    assert not (town / "broken").exists()
    assert json.loads(gt(town, "rig", "list", "--json").stdout) == []


def test_crew_and_rig_remove(town: Path, tmp_path: Path) -> None:
    gt(town, "rig", "add", "proj", str(make_project(tmp_path / "proj")))
    gt(town, "crew", "add", "joe", "--rig", "proj")
    assert (town / "proj" / "crew" / "joe" / "app.py").is_file()
    assert json.loads(gt(town, "crew", "list", "--rig", "proj", "--json").stdout) == ["joe"]
    gt(town, "crew", "remove", "joe", "--rig", "proj")
    gt(town, "rig", "remove", "proj")
    assert not (town / "proj").exists()
    assert json.loads(gt(town, "rig", "list", "--json").stdout) == []


def test_unknown_runtime_is_explained(town: Path) -> None:
    result = gt(town, "config", "default-agent", "nope", check=False)
    assert result.returncode == 1 and "unknown runtime 'nope'" in result.stderr
    gt(town, "config", "agent", "set", "mine", "definitely-not-installed --flag")
    result = gt(town, "mayor", "start", "--agent", "mine", check=False)
    assert result.returncode == 1
    assert "needs 'definitely-not-installed', which is not installed" in result.stderr

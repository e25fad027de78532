"""Town settings: read once into checked dataclasses; a typo or a bad value is one line that
names the file and the key; writes go through the same checks; defaults live in one place."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gt.settings import RigSettings, TownSettings
from gt.town import Town
from tests.gt_helpers import gt, make_project


@pytest.fixture
def town(tmp_path: Path) -> Path:
    root = tmp_path / "town"
    gt(tmp_path, "install", str(root))
    gt(root, "rig", "add", "proj", str(make_project(tmp_path / "proj")), "--prefix", "pj")
    return root


def head(root: Path) -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                          text=True, check=True).stdout.strip()


def refused(root: Path, *args: str) -> str:
    """Run a gt command that must fail with one line on stderr; that line."""
    result = gt(root, *args, check=False)
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_defaults_come_from_one_place_and_stay_out_of_the_file(town: Path) -> None:
    settings = Town(town).settings
    assert (settings.default_agent, settings.sessions) == ("scripted", "tmux")
    assert settings.name == "town" and settings.agents == {} and settings.runtimes == {}
    rig = settings.rigs["proj"]
    assert (rig.prefix, rig.branch, rig.push, rig.strategy, rig.merge, rig.batch_size) == \
        ("pj", "main", False, "mr", "merge", 1)
    assert rig.gates == {} and rig.gate_timeouts == {}
    assert TownSettings(name="x").default_agent == "scripted"
    assert RigSettings(prefix="p", url="u").batch_size == 1
    text = (town / "town.toml").read_text()
    for default in ("default_agent", "sessions", "batch_size", "strategy", "push"):
        assert default not in text, text


def test_an_unknown_key_in_the_file_is_one_line_naming_file_and_key(town: Path) -> None:
    toml = town / "town.toml"
    good = toml.read_text()
    toml.write_text(good.replace('[town]\n', '[town]\nsesions = "process"\n'))
    line = refused(town, "agents")
    assert f"{toml}: town.sesions: unknown key" in line
    assert "default_agent, sessions" in line and "fix it in the file" in line
    toml.write_text(good.replace("[rigs.proj]\n", "[rigs.proj]\nbatchsize = 2\n"))
    assert "rigs.proj.batchsize: unknown key" in refused(town, "rig", "list")
    toml.write_text(good + "\n[agents]\nmayr = \"scripted\"\n")
    assert "agents.mayr: unknown key (known: mayor, deacon" in refused(town, "agents")


def test_a_bad_value_in_the_file_is_one_line_naming_file_and_key(town: Path) -> None:
    toml = town / "town.toml"
    good = toml.read_text()
    toml.write_text(good.replace("[rigs.proj]\n", '[rigs.proj]\nbatch_size = "four"\n'))
    line = refused(town, "mq", "list", "proj")
    assert line.endswith(f"{toml}: rigs.proj.batch_size: 'four' is not a whole number of at "
                         "least 1; fix it in the file")
    toml.write_text(good.replace('[town]\n', '[town]\nsessions = "screen"\n'))
    assert "town.sessions: 'screen' is not one of tmux, process" in refused(town, "agents")
    toml.write_text(good + "\n[rigs.proj.gate_timeouts]\ntest = -1\n")
    assert "rigs.proj.gate_timeouts.test: -1 is not a number of seconds above 0" in \
        refused(town, "agents")
    toml.write_text(good.replace('prefix = "pj"\n', ""))
    assert "rigs.proj.prefix: missing" in refused(town, "agents")
    toml.write_text(good + "[[[\n")
    assert f"{toml}: not valid TOML" in refused(town, "agents")


def test_writes_are_checked_the_same_way_and_a_refused_one_writes_nothing(town: Path) -> None:
    toml = town / "town.toml"
    before, commit = toml.read_text(), head(town)
    assert "rigs.proj.batch_size: 'x' is not a whole number" in \
        refused(town, "rig", "config", "proj", "batch_size", "x")
    assert "rigs.proj.gate_timeouts.test: 'soon' is not a number of seconds" in \
        refused(town, "rig", "config", "proj", "gate_timeouts.test", "soon")
    assert "rigs.proj.strategy: 'fast' is not one of mr, direct, local" in \
        refused(town, "rig", "config", "proj", "strategy", "fast")
    assert "unknown rig setting prefix='zz'" in refused(town, "rig", "config", "proj", "prefix",
                                                         "zz")
    assert "town.sesions: unknown key" in refused(town, "config", "set", "town.sesions", "x")
    assert "town.sessions: 'screen' is not one of tmux, process" in \
        refused(town, "config", "set", "town.sessions", "screen")
    assert "runtimes.claude.is_sandbox: 'yes' is not true or false" in \
        refused(town, "config", "set", "runtimes.claude.is_sandbox", "yes")
    assert "runtimes.mine.prompt: 'stdin' is not arg, none or flag:<flag>; nothing was " \
           "written" in refused(town, "config", "agent", "set", "mine", "mine --go",
                                "--prompt", "stdin")
    assert (toml.read_text(), head(town)) == (before, commit)


def test_accepted_writes_are_read_back_typed(town: Path) -> None:
    gt(town, "rig", "config", "proj", "batch_size", "3")
    gt(town, "rig", "config", "proj", "gate_timeouts.test", "2.5")
    gt(town, "rig", "config", "proj", "push", "true")
    gt(town, "config", "set", "runtimes.claude.is_sandbox", "TRUE")
    gt(town, "config", "set", "town.sessions", "process")
    gt(town, "config", "agent", "set", "mine", "mine --go", "--prompt", "flag:-p")
    settings = Town(town).settings
    rig = settings.rigs["proj"]
    assert (rig.batch_size, rig.gate_timeouts, rig.push) == (3, {"test": 2.5}, True)
    assert settings.runtimes["claude"].is_sandbox is True
    assert settings.runtimes["mine"].argv == ("mine", "--go")
    assert settings.sessions == "process"
    gt(town, "rig", "config", "proj", "gate_timeouts.test", "")
    assert Town(town).settings.rigs["proj"].gate_timeouts == {}

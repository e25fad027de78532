"""`gt rig add` refuses a prefix already in use (naming who has it), and a refused or failed
add leaves nothing behind: no clone, no route, no settings change, no commit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.gt_helpers import bd, gt, make_project, make_town, run

# The module shares a town: its tests stay on one worker in a parallel run.
pytestmark = pytest.mark.xdist_group("rig_add_refusals")


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("rigadd")
    root = make_town(base)
    json.loads(bd(root, "create", "Town work", "--json").stdout)
    return root


def state(town: Path) -> tuple[str, str, str, str, list[str]]:
    """What a refused add must leave as it was."""
    head = run(["git", "rev-parse", "HEAD"], town).stdout
    status = run(["git", "status", "--porcelain", "--ignored"], town).stdout
    return (head, status, (town / "town.toml").read_text(),
            (town / ".beads-routes.json").read_text(), sorted(p.name for p in town.iterdir()))


@pytest.mark.parametrize(("args", "message"), [
    (["--prefix", "hq"], "prefix 'hq' is taken by the town's own ledger"),
    (["--prefix", "pj"], "prefix 'pj' is taken by the rig 'proj'"),
    (["--prefix", "Bad!"], "invalid prefix 'Bad!'"),
    (["--prefix", "../x"], "invalid prefix '../x'"),
    (["--branch", "no-such-branch"], "no-such-branch"),
])
def test_a_refused_add_names_why_and_leaves_nothing(town: Path, tmp_path: Path,
                                                    args: list[str], message: str) -> None:
    source = make_project(tmp_path / "src")
    before = state(town)
    result = gt(town, "rig", "add", "r2", str(source), *args, check=False)
    assert result.returncode == 1, result
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, \
        result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert state(town) == before
    assert not (town / "r2").exists()


@pytest.mark.parametrize("source", ["/no/such/repository", "--upload-pack=touch {pwned}",
                                    "file:///no/such.git"])
def test_a_source_that_is_no_repository_leaves_nothing(town: Path, tmp_path: Path,
                                                       source: str) -> None:
    """An option given as the source stays data: with the town's `origin` set (a shared
    town), git would otherwise run it as `ls-remote --upload-pack=...` against that."""
    if not run(["git", "remote"], town).stdout.strip():
        run(["git", "clone", "-q", "--bare", str(town), str(town.parent / "origin.git")], town)
        run(["git", "remote", "add", "origin", str(town.parent / "origin.git")], town)
    pwned = tmp_path / "pwned"
    before = state(town)
    result = gt(town, "rig", "add", "r2", "--", source.format(pwned=pwned), check=False)
    assert result.returncode == 1 and "not a git repository" in result.stderr, result
    assert state(town) == before
    assert not pwned.exists()


def test_a_clone_that_fails_midway_leaves_nothing(town: Path, tmp_path: Path) -> None:
    """The source answers `git ls-remote` but its objects are gone: the clone fails."""
    source = make_project(tmp_path / "src")
    subprocess.run(["git", "repack", "-adq"], cwd=source, check=True)
    for pack in (source / ".git" / "objects" / "pack").glob("*.pack"):
        pack.write_bytes(b"not a pack")
    before = state(town)
    result = gt(town, "rig", "add", "r2", str(source), check=False)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result
    assert state(town) == before


def test_the_town_prefix_keeps_routing_to_the_town(town: Path, tmp_path: Path) -> None:
    hq_bead = json.loads(bd(town, "list", "--json").stdout)
    ids = [b["id"] for b in hq_bead if b["id"].startswith("hq-")]
    gt(town, "rig", "add", "r3", "--prefix", "hq", str(make_project(tmp_path / "src")),
       check=False)
    for bead_id in ids:
        assert json.loads(bd(town / "proj", "show", bead_id, "--json").stdout)["id"] == bead_id
    added = json.loads(gt(town, "rig", "add", "r3", str(make_project(tmp_path / "src2")),
                          "--json").stdout)
    assert added["prefix"] not in ("hq", "pj")

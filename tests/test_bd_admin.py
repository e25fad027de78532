"""`bd init`, `verify`, `export`, `import`, `config` and `cache` (beads/cli/admin.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bd_helpers import js, json_error, new, ok
from tests.conftest import git, tip


def test_init_json_and_reinit(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    made = js(repo, "init", "--prefix", "gt")
    assert made["prefix"] == "gt" and made["ref"] == "refs/heads/beads"
    assert made["tip"] == tip(repo)
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""
    assert js(repo, "init", "--prefix", "gt")["tip"] == made["tip"]
    error = json_error(repo, "init", "--prefix", "xx")
    assert error["code"] == "invalid_input" and "'gt'" in error["error"]
    assert json_error(repo, "init", "--prefix", "Bad/Prefix")["code"] == "invalid_input"
    assert tip(repo) == made["tip"]


def test_commands_before_init_say_so(repo: Path) -> None:
    error = json_error(repo, "list")
    assert error["code"] == "not_initialized" and "bd init" in error["error"]
    assert json_error(repo, "create", "x")["code"] == "not_initialized"


def test_verify_export_import(bd_repo: Path, tmp_path: Path) -> None:
    a = new(bd_repo, "Exported", "-l", "x")
    new(bd_repo, "Second", "--deps", a)
    ok(bd_repo, "comment", "add", a, "note")
    report = js(bd_repo, "verify")
    assert report["ok"] is True and report["first_divergence"] is None
    assert report["beads"] == 2 and report["commits"] == 4
    assert ok(bd_repo, "verify").stdout.startswith("verify ok: 4 commits")
    exported = ok(bd_repo, "export").stdout
    records = [json.loads(line) for line in exported.splitlines()]
    assert [r["title"] for r in records if r["id"] == a] == ["Exported"]
    target = tmp_path / "out.jsonl"
    result = ok(bd_repo, "export", "-o", str(target))
    assert target.read_text() == exported and "exported 2 beads" in result.stderr
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    ok(other, "init", "--prefix", "gt")
    assert js(other, "import", str(target)) == {"schema_version": 1, "created": 2,
                                                "updated": 0, "unchanged": 0}
    assert ok(other, "import", "-", stdin=exported).stdout == \
        "imported: 0 created, 0 updated, 2 unchanged\n"
    assert ok(other, "export").stdout == exported


def test_config_set_list_unset(bd_repo: Path) -> None:
    assert js(bd_repo, "config", "list") == {"schema_version": 1, "config": {}}
    ok(bd_repo, "config", "set", "status.custom", "review,qa")
    ok(bd_repo, "config", "set", "types.custom", "spike")
    assert js(bd_repo, "config", "list")["config"] == {"status.custom": "review,qa",
                                                       "types.custom": "spike"}
    bead = new(bd_repo, "Spike", "-t", "spike")
    assert js(bd_repo, "update", bead, "-s", "qa")["status"] == "qa"
    assert "status.custom = review,qa" in ok(bd_repo, "config", "list").stdout
    ok(bd_repo, "config", "unset", "types.custom")
    assert "types.custom" not in js(bd_repo, "config", "list")["config"]
    assert json_error(bd_repo, "create", "No more", "-t", "spike")["code"] == "invalid_input"


def test_cache_rebuild(bd_repo: Path) -> None:
    new(bd_repo, "One")
    new(bd_repo, "Two")
    cache_file = next(bd_repo.joinpath(".git").rglob("cache.sqlite"))
    cache_file.unlink()
    rebuilt = js(bd_repo, "cache", "rebuild")
    assert rebuilt["beads"] == 2 and rebuilt["seconds"] >= 0
    assert len(js(bd_repo, "list")) == 2
    assert ok(bd_repo, "cache", "rebuild").stdout.startswith("cache rebuilt: 2 beads")

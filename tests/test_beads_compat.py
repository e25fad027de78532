"""Beads' command line on our bd: global flags anywhere, Beads' commands, starting anywhere.

The clients themselves are driven in test_beads_mcp.py and test_beads_ui.py; this file pins
down each piece on its own, with real repositories and real `bd` processes.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from beads.cli.globalflags import normalize
from beads.cli.main import cli
from tests.conftest import BD, git, run_bd


def js(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    result = subprocess.run([*BD, *args], cwd=cwd, capture_output=True, text=True,
                            env={**os.environ, "BD_ACTOR": "alice", **(env or {})})
    assert result.returncode == 0, f"bd {' '.join(args)}: {result.stderr}"
    return json.loads(result.stdout)


def new(cwd: Path, *args: str) -> str:
    return run_bd(cwd, "create", *args, "--silent", check=True).stdout.strip()


@pytest.fixture
def workspace(repo: Path) -> Path:
    run_bd(repo, "init", "--prefix", "bc", check=True)
    return repo


# ----------------------------------------------------------------------- global flags


@pytest.mark.parametrize(("argv", "expected"), [
    (["list", "--limit", "20", "--actor", "mcp", "--json"],
     ["--actor", "mcp", "--json", "list", "--limit", "20"]),
    (["--sandbox", "list", "--json", "--tree=false"],
     ["--sandbox", "--json", "list", "--tree=false"]),
    (["update", "x", "--notes", "--sandbox", "--no-auto-flush"],
     ["--no-auto-flush", "update", "x", "--notes", "--sandbox"]),
    (["dep", "add", "a", "b", "--type", "blocks", "--actor=me"],
     ["--actor=me", "dep", "add", "a", "b", "--type", "blocks"]),
    (["comment", "a", "--", "--json"], ["comment", "a", "--", "--json"]),
    (["-C", "/r", "show", "a", "--no-auto-import"], ["-C", "/r", "--no-auto-import", "show",
                                                     "a"]),
])
def test_global_flags_move_before_the_subcommand(argv: list[str],
                                                 expected: list[str]) -> None:
    assert normalize(argv, cli) == expected


def test_global_flags_on_either_side(workspace: Path) -> None:
    made = js(workspace, "create", "Flagged", "--actor", "mcp-agent", "--no-auto-flush",
              "--json")
    assert made["created_by"] == "mcp-agent"
    shown = js(workspace, "--sandbox", "--no-auto-import", "show", made["id"], "--json")
    assert shown["id"] == made["id"]
    listed = js(workspace, "--sandbox", "list", "--json", "--tree=false")
    assert [b["id"] for b in listed] == [made["id"]]
    # A value that looks like a flag stays the value it is.
    run_bd(workspace, "update", made["id"], "--notes", "--sandbox", check=True)
    assert js(workspace, "show", made["id"], "--json")["notes"] == "--sandbox"


def test_version_and_its_json(workspace: Path) -> None:
    out = run_bd(workspace, "version", check=True).stdout
    assert out.startswith("bd version 1.3.2 (gastown-py ")
    assert js(workspace, "version", "--json")["version"] == "1.3.2"
    assert run_bd(workspace, "--version", check=True).stdout.startswith("bd, version ")


# ----------------------------------------------------------------------- shapes


def test_show_links_and_counts(workspace: Path) -> None:
    gate = new(workspace, "Gate", "-p", "1")
    held = new(workspace, "Held", "--deps", gate)
    shown = js(workspace, "show", held, "--json")
    [link] = shown["dependencies"]
    assert (link["id"], link["title"], link["dependency_type"], link["depends_on_id"],
            link["type"], link["issue_id"]) == (gate, "Gate", "blocks", gate, "blocks", held)
    assert "dependencies" not in link and link["dependent_count"] == 1
    assert shown["blocked_by"] == [gate] and shown["blocked_by_count"] == 1
    assert shown["blockers"] == [{"id": gate, "reason": "blocks"}]
    gate_shown = js(workspace, "show", gate, "--json")
    assert [(d["id"], d["dependency_type"]) for d in gate_shown["dependents"]] == [
        (held, "blocks")]
    listed = {b["id"]: b for b in js(workspace, "list", "--json")}
    assert (listed[held]["dependency_count"], listed[held]["dependent_count"]) == (1, 0)
    assert (listed[gate]["dependency_count"], listed[gate]["dependent_count"]) == (0, 1)


def test_stats_summary(workspace: Path) -> None:
    a = new(workspace, "A")
    new(workspace, "B", "--deps", a)
    run_bd(workspace, "close", new(workspace, "C"), check=True)
    summary = js(workspace, "stats", "--json")["summary"]
    assert (summary["total_issues"], summary["open_issues"], summary["closed_issues"],
            summary["blocked_issues"], summary["ready_issues"]) == (3, 2, 1, 1, 1)
    assert summary["average_lead_time_hours"] >= 0


# ----------------------------------------------------------------------- commands


def test_epics_children_count(workspace: Path) -> None:
    epic = new(workspace, "Epic", "-t", "epic")
    one = new(workspace, "One", "--parent", epic)
    two = new(workspace, "Two", "--parent", epic)
    [status] = js(workspace, "epic", "status", "--json")
    assert (status["epic"]["id"], status["total_children"], status["closed_children"],
            status["eligible_for_close"]) == (epic, 2, 0, False)
    assert sorted(c["id"] for c in js(workspace, "children", epic, "--json")) == [one, two]
    run_bd(workspace, "close", one, two, check=True)
    assert js(workspace, "epic", "status", "--eligible-only", "--json")[0]["epic"]["id"] == epic
    assert js(workspace, "epic", "close-eligible", "--dry-run", "--json")["closed"] == []
    assert js(workspace, "epic", "close-eligible", "--json")["closed"] == [epic]
    assert js(workspace, "show", epic, "--json")["close_reason"] == "All children completed"
    assert js(workspace, "count", "--json")["count"] == 0
    assert js(workspace, "count", "--all", "--json")["count"] == 3
    assert js(workspace, "count", "--status", "closed", "--title", "tw", "--json") == {
        "schema_version": 1, "count": 1}


def test_defer_undefer_note_and_filters(workspace: Path) -> None:
    a = new(workspace, "Alpha task")
    b = new(workspace, "Beta task", "-a", "bob")
    [deferred] = js(workspace, "defer", a, "--until", "2099-01-01", "--json")
    assert deferred["status"] == "deferred" and deferred["defer_until"].startswith("2099-01-01")
    assert [r["id"] for r in js(workspace, "ready", "--json")] == [b]
    [back] = js(workspace, "undefer", a, "--json")
    assert back["status"] == "open" and "defer_until" not in back
    assert [r["id"] for r in js(workspace, "ready", "--unassigned", "--json")] == [a]
    assert [r["id"] for r in js(workspace, "list", "--no-assignee", "--json")] == [a]
    assert [r["id"] for r in js(workspace, "list", "--title", "BETA", "--json")] == [b]
    run_bd(workspace, "note", a, "one", check=True)
    assert js(workspace, "note", a, "two", "--json")["notes"] == "one\ntwo"
    run_bd(workspace, "update", a, "--acceptance-criteria", "it works", check=True)
    assert js(workspace, "show", a, "--json")["acceptance_criteria"] == "it works"
    tree = run_bd(workspace, "list", "--tree", check=True).stdout
    assert "Alpha task" in tree and "Beta task" in tree


def test_comment_forms_and_removal_aliases(workspace: Path) -> None:
    a = new(workspace, "A")
    b = new(workspace, "B")
    run_bd(workspace, "comment", a, "plain form", "--author", "Zoe", check=True)
    run_bd(workspace, "comment", "add", a, "old form", check=True)
    comments = js(workspace, "comments", a, "--json")
    assert [(c["issue_id"], c["author"], c["text"]) for c in comments] == [
        (a, "Zoe", "plain form"), (a, "alice", "old form")]
    assert all(isinstance(c["id"], str) for c in comments)
    assert js(workspace, "comment", "list", a, "--json") == comments
    run_bd(workspace, "dep", "add", a, b, check=True)
    run_bd(workspace, "dep", "remove", a, b, check=True)
    assert js(workspace, "show", a, "--json")["dependencies"] == []
    run_bd(workspace, "label", "add", a, "x", check=True)
    run_bd(workspace, "label", "remove", a, "x", check=True)
    assert js(workspace, "show", a, "--json")["labels"] == []
    run_bd(workspace, "close", a, check=True)
    [opened] = js(workspace, "reopen", a, "--reason", "not done", "--json")
    assert opened["status"] == "open"
    assert js(workspace, "comments", a, "--json")[-1]["text"] == "Reopened: not done"


def test_prime_quickstart_info_migrate(workspace: Path) -> None:
    prime = run_bd(workspace, "prime", check=True).stdout
    assert "bd ready" in prime and "bd close" in prime
    assert len(prime.split()) < 1000 and len(prime) < 6000  # well under 2k tokens
    assert "bd init" in run_bd(workspace, "quickstart", check=True).stdout
    info = js(workspace, "info", "--schema", "--json")
    assert info["prefix"] == "bc" and info["schema"]["detected_prefix"] == "bc"
    assert info["workspace"] == str(workspace / ".beads")
    inspect = js(workspace, "migrate", "--inspect", "--json")
    assert inspect["needs_migration"] is False and "nothing to migrate" in inspect["message"]


def test_doctor_finds_and_fixes(workspace: Path) -> None:
    keep = new(workspace, "Keep")
    gone = new(workspace, "Gone")
    run_bd(workspace, "dep", "add", keep, gone, check=True)
    run_bd(workspace, "delete", gone, "--force", check=True)
    (workspace / ".beads").unlink()
    git(workspace, "config", "--unset", "merge.beads.driver")
    failed = run_bd(workspace, "doctor")
    assert failed.returncode == 1
    assert "✗ dependencies" in failed.stdout and "fix: bd repair-deps --fix" in failed.stdout
    assert "! merge driver" in failed.stdout and "! workspace link" in failed.stdout
    report = js(workspace, "doctor", "--fix", "--json")
    assert report["ok"] is True
    fixed = {c["name"] for c in report["checks"] if c["fixed"]}
    assert fixed == {"dependencies", "merge driver", "workspace link"}
    assert (workspace / ".beads" / "metadata.json").is_file()
    assert run_bd(workspace, "doctor", check=True).returncode == 0
    assert git(workspace, "status", "--porcelain") == ""


# ----------------------------------------------------------------------- starting anywhere


def test_init_outside_git_makes_the_repository(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    out = run_bd(bare, "init", "--prefix", "test", "--non-interactive", "--skip-agents",
                 "--skip-hooks", check=True).stdout
    assert out.splitlines()[0] == f"initialized a git repository in {bare}"
    assert (bare / ".git").is_dir() and (bare / ".beads").is_symlink()
    assert "/.beads" in (bare / ".git" / "info" / "exclude").read_text().splitlines()
    assert git(bare, "status", "--porcelain") == ""
    assert run_bd(bare, "init", "--prefix", "test", "--quiet", check=True).stdout == ""
    assert js(bare, "create", "Works", "--json")["id"].startswith("test-")


def test_beads_dir_and_working_dir_select_the_workspace(workspace: Path,
                                                        tmp_path: Path) -> None:
    made = new(workspace, "Here")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    by_dir = js(elsewhere, "show", made, "--json", env={"BEADS_DIR": str(workspace / ".beads")})
    by_working = js(elsewhere, "show", made, "--json",
                    env={"BEADS_WORKING_DIR": str(workspace)})
    assert by_dir["id"] == by_working["id"] == made
    fresh = tmp_path / "fresh"
    js(elsewhere, "init", "--prefix", "fr", "--json", env={"BEADS_DIR": str(fresh / ".beads")})
    assert (fresh / ".git").is_dir() and (fresh / ".beads" / "metadata.json").is_file()


def test_every_write_touches_the_workspace(workspace: Path) -> None:
    change = workspace / ".beads" / "last-change"
    marks = []
    for args in (["create", "One"], ["create", "Wisp", "--ephemeral"]):
        run_bd(workspace, *args, check=True)
        marks.append(change.read_text())
    assert len(set(marks)) == 2
    before = change.read_text()
    run_bd(workspace, "list", "--json", check=True)
    run_bd(workspace, "show", "--json", new(workspace, "Two"), check=True)
    after_write = change.read_text()
    run_bd(workspace, "ready", "--json", check=True)
    assert change.read_text() == after_write != before  # reads never touch it

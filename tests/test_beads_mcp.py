"""Beads' MCP server (beads-mcp, installed unchanged from its registry) drives our `bd`.

Every call of its client class (`BdCliClient`) runs against a real ledger, and every tool of
its MCP server runs in memory through a FastMCP client; each result is checked against
`bd show --json` in a separate process. beads-mcp is in the `test` extra.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import git, run_bd

beads_mcp = pytest.importorskip("beads_mcp", reason="beads-mcp is in the test extra: "
                                "pip install -e '.[test]'")

from beads_mcp import bd_client, models  # noqa: E402

BD = str(Path(sys.executable).with_name("bd"))


def show(workspace: Path, bead_id: str) -> dict[str, Any]:
    return json.loads(run_bd(workspace, "show", bead_id, "--json", check=True).stdout)


@pytest.fixture
def workspace(repo: Path) -> Path:
    run_bd(repo, "init", "--prefix", "mcp", check=True)
    return repo


@pytest.fixture
def client(workspace: Path) -> bd_client.BdCliClient:
    return bd_client.BdCliClient(bd_path=BD, working_dir=str(workspace), actor="mcp-agent",
                                 no_auto_flush=True, no_auto_import=True)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_version_check_passes(client: bd_client.BdCliClient) -> None:
    run(client._check_version())
    out = subprocess.run([BD, "version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("bd version 1.3.2 (gastown-py ")


def test_create_show_list_ready(client: bd_client.BdCliClient, workspace: Path) -> None:
    epic = run(client.create(models.CreateIssueParams(title="Epic", issue_type="epic")))
    base = run(client.create(models.CreateIssueParams(
        title="Base work", description="why", design="how", acceptance="done when",
        external_ref="gh-1", priority=1, labels=["core", "ui"], assignee="ann")))
    # Deps as Beads' clients send them: a bare id (blocks) and type:id.
    child = run(client.create(models.CreateIssueParams(
        title="Child", deps=[base.id, f"discovered-from:{epic.id}"])))
    assert {(d.id, d.dependency_type) for d in child.dependencies} == {
        (epic.id, "discovered-from"), (base.id, "blocks")}
    stored = show(workspace, child.id)
    assert {(d["depends_on_id"], d["type"]) for d in stored["dependencies"]} == {
        (base.id, "blocks"), (epic.id, "discovered-from")}
    assert stored["created_by"] == "mcp-agent"
    # Each create reported success and made exactly one bead: nothing for a retry to double.
    assert len(json.loads(run_bd(workspace, "list", "--json").stdout)) == 3

    shown = run(client.show(models.ShowIssueParams(issue_id=base.id)))
    assert shown.design == "how" and shown.acceptance_criteria == "done when"
    assert shown.external_ref == "gh-1" and shown.labels == ["core", "ui"]
    assert [(d.id, d.title, d.dependency_type) for d in shown.dependents] == [
        (child.id, "Child", "blocks")]
    assert shown.dependent_count == 1 and shown.dependency_count == 0

    listed = run(client.list_issues(models.ListIssuesParams(query="base", limit=5)))
    assert [i.id for i in listed] == [base.id]
    assert listed[0].dependent_count == 1
    unassigned = run(client.list_issues(models.ListIssuesParams(unassigned=True)))
    assert {i.id for i in unassigned} == {epic.id, child.id}
    labelled = run(client.list_issues(models.ListIssuesParams(labels=["core"], priority=1,
                                                               assignee="ann")))
    assert [i.id for i in labelled] == [base.id]

    ready = run(client.ready(models.ReadyWorkParams(limit=10)))
    assert [i.id for i in ready] == [base.id, epic.id]  # the child waits for base
    unassigned_ready = run(client.ready(models.ReadyWorkParams(unassigned=True)))
    assert [i.id for i in unassigned_ready] == [epic.id]
    assert [i.id for i in run(client.ready(models.ReadyWorkParams(labels_any=["ui"])))] == [
        base.id]


def test_blocked_stats_update_close_reopen(client: bd_client.BdCliClient,
                                           workspace: Path) -> None:
    epic = run(client.create(models.CreateIssueParams(title="Epic", issue_type="epic")))
    gate = run(client.create(models.CreateIssueParams(title="Gate")))
    held = run(client.create(models.CreateIssueParams(title="Held", deps=[gate.id])))
    run_bd(workspace, "dep", "add", held.id, epic.id, "--type", "parent-child", check=True)
    other = run(client.create(models.CreateIssueParams(title="Other", deps=[gate.id])))

    blocked = run(client.blocked())
    assert {(b.id, tuple(b.blocked_by), b.blocked_by_count) for b in blocked} == {
        (held.id, (gate.id,), 1), (other.id, (gate.id,), 1)}
    below = run(client.blocked(models.BlockedParams(parent_id=epic.id)))
    assert [b.id for b in below] == [held.id]

    stats = run(client.stats())
    assert stats.summary.total_issues == 4 and stats.summary.blocked_issues == 2
    assert stats.summary.open_issues == 4 and stats.summary.ready_issues == 2

    updated = run(client.update(models.UpdateIssueParams(
        issue_id=gate.id, status="in_progress", priority=0, title="Gate!", notes="n1",
        acceptance_criteria="ac", design="d", description="desc", external_ref="x-2",
        assignee="bob")))
    stored = show(workspace, gate.id)
    for key, value in (("status", "in_progress"), ("priority", 0), ("title", "Gate!"),
                       ("notes", "n1"), ("acceptance_criteria", "ac"), ("design", "d"),
                       ("description", "desc"), ("external_ref", "x-2"), ("assignee", "bob")):
        assert stored[key] == value == getattr(updated, key), key
    assert sorted(d.id for d in updated.dependents) == sorted([held.id, other.id])

    claimed = run(client.claim(models.ClaimIssueParams(issue_id=other.id)))
    assert claimed.assignee == "mcp-agent" and claimed.status == "in_progress"
    assert show(workspace, other.id)["assignee"] == "mcp-agent"

    closed = run(client.close(models.CloseIssueParams(issue_id=gate.id, reason="shipped")))
    assert [(c.id, c.status) for c in closed] == [(gate.id, "closed")]
    assert show(workspace, gate.id)["close_reason"] == "shipped"
    assert run(client.blocked()) == []

    reopened = run(client.reopen(models.ReopenIssueParams(issue_ids=[gate.id],
                                                          reason="regressed")))
    assert [(r.id, r.status) for r in reopened] == [(gate.id, "open")]
    stored = show(workspace, gate.id)
    assert stored["status"] == "open"
    assert [c["text"] for c in stored["comments"]] == ["Reopened: regressed"]


def test_dependency_comments_note_quickstart(client: bd_client.BdCliClient,
                                             workspace: Path) -> None:
    a = run(client.create(models.CreateIssueParams(title="A")))
    b = run(client.create(models.CreateIssueParams(title="B")))
    run(client.add_dependency(models.AddDependencyParams(issue_id=b.id, depends_on_id=a.id,
                                                         dep_type="related")))
    assert [(d["depends_on_id"], d["type"]) for d in show(workspace, b.id)["dependencies"]] == [
        (a.id, "related")]

    hostile = "it's $(rm -rf /) `x` ; \"quoted\" \u2028 done"
    run(client.add_comment(models.AddCommentParams(issue_id=a.id, text=hostile)))
    comments = run(client.list_comments(models.ListCommentsParams(issue_id=a.id)))
    assert [(c.issue_id, c.author, c.text) for c in comments] == [(a.id, "mcp-agent", hostile)]
    assert show(workspace, a.id)["comments"][0]["text"] == hostile

    run(client.add_note(models.AddNoteParams(issue_id=a.id, text="first")))
    run(client.add_note(models.AddNoteParams(issue_id=a.id, text="second")))
    assert show(workspace, a.id)["notes"] == "first\nsecond"

    guide = run(client.quickstart())
    assert "bd ready" in guide and "bd create" in guide


def test_admin_calls(client: bd_client.BdCliClient, workspace: Path) -> None:
    keep = run(client.create(models.CreateIssueParams(title="Real work")))
    gone = run(client.create(models.CreateIssueParams(title="Doomed")))
    run_bd(workspace, "dep", "add", keep.id, gone.id, check=True)
    run_bd(workspace, "delete", gone.id, "--force", check=True)
    junk = run(client.create(models.CreateIssueParams(title="test")))

    migration = run(client.inspect_migration())
    assert migration["needs_migration"] is False and migration["registered_migrations"] == []
    schema = run(client.get_schema_info())
    assert schema["schema"]["detected_prefix"] == "mcp"
    assert keep.id in schema["schema"]["sample_issue_ids"]

    found = run(client.repair_deps())
    assert found["orphans_found"] == 1 and found["orphans"][0]["depends_on_id"] == gone.id
    assert show(workspace, keep.id)["dependencies"] == []  # an orphan resolves to nothing...
    assert show(workspace, keep.id)["external_dependencies"][0]["depends_on_id"] == gone.id
    validated = run(client.validate())
    assert {c["name"]: c["status"] for c in validated["checks"]}["dependencies"] == "error"
    fixed = run(client.repair_deps(fix=True))
    assert fixed["fixed"] == 1
    assert show(workspace, keep.id)["external_dependencies"] == []
    assert run(client.validate(fix_all=True))["ok"] is True

    polluted = run(client.detect_pollution())
    assert [s["id"] for s in polluted["suspects"]] == [junk.id]
    cleaned = run(client.detect_pollution(clean=True))
    assert cleaned["deleted"] == [junk.id]
    assert run_bd(workspace, "show", junk.id, "--json").returncode != 0
    assert show(workspace, keep.id)["title"] == "Real work"


def test_init_in_a_bare_directory(tmp_path: Path) -> None:
    """beads-mcp's init runs `bd init --prefix P --actor A` where there is no repository."""
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    client = bd_client.BdCliClient(bd_path=BD, working_dir=str(fresh), actor="mcp-agent")
    out = run(client.init(models.InitParams(prefix="new")))
    assert "initialized a git repository" in out and "prefix new" in out
    assert (fresh / ".git").is_dir() and (fresh / ".beads" / "metadata.json").is_file()
    assert git(fresh, "status", "--porcelain") == ""
    assert run_bd(fresh, "create", "First", "--json", check=True).stdout.count('"new-') >= 1


def test_workspace_found_from_a_subdirectory_and_by_beads_dir(workspace: Path,
                                                              tmp_path: Path) -> None:
    from beads_mcp.tools import _find_beads_db_in_tree

    sub = workspace / "src" / "deep"
    sub.mkdir(parents=True)
    assert _find_beads_db_in_tree(str(sub)) == str(workspace)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    client = bd_client.BdCliClient(bd_path=BD, beads_dir=str(workspace / ".beads"),
                                   working_dir=str(elsewhere))
    made = run(client.create(models.CreateIssueParams(title="Via BEADS_DIR")))
    assert show(workspace, made.id)["title"] == "Via BEADS_DIR"


# ------------------------------------------------------------------ the MCP server itself


@pytest.fixture
def server_env(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The server keeps its workspace in os.environ: monkeypatch restores it afterwards."""
    monkeypatch.setenv("BEADS_PATH", BD)
    monkeypatch.setenv("BEADS_ACTOR", "mcp-agent")
    for name in ("BEADS_WORKING_DIR", "BEADS_CONTEXT_SET", "BEADS_DB"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.chdir(workspace)
    yield workspace


def call_all(workspace: Path, spare: Path) -> dict[str, Any]:
    from beads_mcp.server import mcp
    from fastmcp import Client

    async def go() -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with Client(mcp) as c:
            async def tool(name: str, **args: Any) -> Any:
                result = await c.call_tool(name, args)
                assert not result.is_error, (name, result)
                out.setdefault(name, []).append(result)
                data = result.structured_content
                if data is None:
                    return result.content[0].text
                # Tools whose return type is a union wrap their value in {"result": ...}.
                return data["result"] if set(data) == {"result"} else data

            await tool("context", action="set", workspace_root=str(workspace))
            await tool("context", action="show")
            a = (await tool("create", title="Server A", priority=1))
            b = (await tool("create", title="Server B", deps=[a["id"]], brief=False))
            assert b["dependencies"][0]["id"] == a["id"]
            await tool("show", issue_id=b["id"])
            await tool("list", limit=10)
            await tool("ready", limit=10)
            await tool("blocked")
            await tool("update", issue_id=a["id"], notes="from the server")
            await tool("claim", issue_id=a["id"])
            await tool("dep", issue_id=a["id"], depends_on_id=b["id"], dep_type="related")
            await tool("comment", issue_id=a["id"], text="hello")
            await tool("comments", issue_id=a["id"])
            await tool("note", issue_id=a["id"], text="a note")
            await tool("stats")
            await tool("close", issue_id=a["id"], reason="done")
            await tool("reopen", issue_ids=[a["id"]])
            for action in ("validate", "repair", "schema", "debug", "migration", "pollution"):
                await tool("admin", action=action)
            await tool("discover_tools")
            await tool("get_tool_info", tool_name="create")
            out["ids"] = (a["id"], b["id"])
            await tool("context", action="set", workspace_root=str(spare))
            await tool("context", action="init", prefix="spare")
        return out

    return asyncio.run(go())


def test_every_server_tool(server_env: Path, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    spare = tmp_path / "spare"
    spare.mkdir()
    out = call_all(server_env, spare)
    # The server left BEADS_WORKING_DIR at `spare` (its last context), which bd honours.
    assert json.loads(run_bd(server_env, "info", "--json", check=True).stdout)["prefix"] == \
        "spare"
    monkeypatch.delenv("BEADS_WORKING_DIR")
    a, b = out["ids"]
    stored = show(server_env, a)
    assert stored["status"] == "open" and stored["assignee"] == "mcp-agent"
    assert stored["notes"] == "from the server\na note"
    assert [c["text"] for c in stored["comments"]] == ["hello"]
    assert {(d["depends_on_id"], d["type"]) for d in stored["dependencies"]} == {(b, "related")}
    assert show(server_env, b)["dependencies"][0]["depends_on_id"] == a
    assert (spare / ".git").is_dir() and (spare / ".beads" / "metadata.json").is_file()

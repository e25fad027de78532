"""The `bd` command line: every command with --json, and what bad input gets back.

Most commands run in-process through click's CliRunner (fast); the entry point, error
reporting, exit codes and terminal safety run `bd` as a real subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pygit2
import pytest
from click.testing import CliRunner, Result

from beads import Ledger
from beads.cli.main import cli
from tests.conftest import git, run_bd, tip

# ----------------------------------------------------------------------------- helpers


def invoke(repo: Path, *args: str, stdin: str | None = None, actor: str = "alice") -> Result:
    """Run `bd -C repo --actor actor ARGS` in-process."""
    return CliRunner().invoke(cli, ["-C", str(repo), "--actor", actor, *args], input=stdin,
                              catch_exceptions=False)


def ok(repo: Path, *args: str, stdin: str | None = None, actor: str = "alice") -> Result:
    result = invoke(repo, *args, stdin=stdin, actor=actor)
    assert result.exit_code == 0, f"bd {' '.join(args)}: {result.stderr}"
    return result


def has_schema(value: Any) -> None:
    """JSON objects carry schema_version; so does every bead in a list."""
    if isinstance(value, dict):
        assert value.get("schema_version") == 1, value
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and "id" in item and "title" in item:
                assert item.get("schema_version") == 1, item


def js(repo: Path, *args: str, stdin: str | None = None, actor: str = "alice") -> Any:
    """Run a command with --json; it must succeed and print schema-versioned JSON."""
    value = json.loads(ok(repo, *args, "--json", stdin=stdin, actor=actor).stdout)
    has_schema(value)
    return value


def json_error(repo: Path, *args: str, actor: str = "alice") -> dict[str, Any]:
    """Run a command with --json that must fail: JSON on stderr, non-zero exit."""
    result = invoke(repo, *args, "--json", actor=actor)
    assert result.exit_code != 0
    assert result.stdout == ""
    error = json.loads(result.stderr)
    assert error["error"] and error["code"]
    return error


def ids(beads: list[dict[str, Any]]) -> list[str]:
    return [b["id"] for b in beads]


@pytest.fixture
def bd_repo(repo: Path) -> Path:
    """A repository with a `gt` ledger made by `bd init`."""
    ok(repo, "init", "--prefix", "gt")
    return repo


def new(repo: Path, title: str, *args: str) -> str:
    """Create a bead and return its id."""
    return str(js(repo, "create", title, *args)["id"])


# ----------------------------------------------------------------------------- entry point


def test_installed_entry_point(repo: Path) -> None:
    bd = Path(sys.executable).with_name("bd")
    assert bd.is_file(), "the `bd` console script is installed next to the interpreter"

    def run(*args: str) -> str:
        return subprocess.run([str(bd), *args], cwd=repo, check=True, capture_output=True,
                              text=True).stdout

    shown = run("--help")
    for command in ("init", "create", "show", "list", "update", "close", "reopen", "delete",
                    "ready", "blocked", "dep", "label", "comment", "search", "stats",
                    "history", "verify", "export", "import", "config", "cache", "wisp",
                    "promote"):
        assert f"\n  {command} " in shown, command
    assert run("--version").startswith("bd, version ")
    assert json.loads(run("init", "--prefix", "gt", "--json"))["tip"] == tip(repo)


def test_python_module_and_bd_actor(repo: Path) -> None:
    run_bd(repo, "init", "--prefix", "gt", check=True)
    created = json.loads(run_bd(repo, "create", "Via env", "--json", actor="carol",
                                check=True).stdout)
    assert created["created_by"] == "carol"
    assert git(repo, "log", "-1", "--format=%an", "beads").strip() == "carol"


# ----------------------------------------------------------------------------- init


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


# ----------------------------------------------------------------------------- create


def test_create_with_every_field_flag(bd_repo: Path) -> None:
    bead = js(bd_repo, "create", "--title", "Everything", "-d", "the description",
              "--design", "the design", "--acceptance", "it works", "--notes", "a note",
              "-p", "P1", "-t", "bug", "-a", "bob", "--owner", "olive", "-l", "b,a",
              "-l", "c", "--due", "2030-01-02", "--defer", "2020-01-01T10:00:00Z",
              "--estimate", "90", "--external-ref", "gh-12", "--metadata", '{"k": [1, 2]}',
              "--id", "gt-every")
    expected = {"id": "gt-every", "title": "Everything", "description": "the description",
                "design": "the design", "acceptance_criteria": "it works", "notes": "a note",
                "priority": 1, "issue_type": "bug", "assignee": "bob", "owner": "olive",
                "labels": ["a", "b", "c"], "due_at": "2030-01-02T00:00:00.000Z",
                "defer_until": "2020-01-01T10:00:00Z", "estimated_minutes": 90,
                "external_ref": "gh-12", "metadata": {"k": [1, 2]}, "status": "open",
                "created_by": "alice"}
    for key, value in expected.items():
        assert bead[key] == value, key
    assert bead["created_at"] == bead["updated_at"]
    shown = js(bd_repo, "show", "gt-every")
    for key, value in expected.items():
        assert shown[key] == value, key


def test_create_defaults_title_argument_and_description_from_stdin(bd_repo: Path) -> None:
    bead = js(bd_repo, "create", "Plain", "-d", "-", stdin="from stdin\nline two")
    assert bead["priority"] == 2 and bead["issue_type"] == "task" and bead["status"] == "open"
    assert bead["description"] == "from stdin\nline two"
    assert bead["id"].startswith("gt-")


def test_create_deps_and_parent(bd_repo: Path) -> None:
    a, b, c = (new(bd_repo, t) for t in ("A", "B", "C"))
    bead = js(bd_repo, "create", "Depends", "--deps", f"blocks:{a},related:{b}", "--deps", c)
    deps = {(d["type"], d["depends_on_id"]) for d in bead["dependencies"]}
    assert deps == {("blocks", a), ("related", b), ("blocks", c)}
    assert all(d["issue_id"] == bead["id"] for d in bead["dependencies"])
    epic = new(bd_repo, "Epic", "-t", "epic")
    child = js(bd_repo, "create", "Child", "--parent", epic)
    assert child["id"] == f"{epic}.1" and child["parent"] == epic
    second = js(bd_repo, "create", "Child 2", "--parent", epic[3:])  # a partial id works
    assert second["id"] == f"{epic}.2"
    grandchild = js(bd_repo, "create", "Grandchild", "--parent", child["id"])
    assert grandchild["id"] == f"{epic}.1.1"


def test_create_from_jsonl_file_json_array_and_stdin(bd_repo: Path, tmp_path: Path) -> None:
    before = len(git(bd_repo, "rev-list", "beads").split())
    ok(bd_repo, "create", "Target", "--id", "gt-target")
    jsonl = tmp_path / "many.jsonl"
    jsonl.write_text('{"title": "One", "priority": 0, "labels": ["x"]}\n\n'
                     '{"title": "Two", "id": "gt-two", "issue_type": "bug",'
                     ' "deps": ["related:gt-target"]}\n')
    created = js(bd_repo, "create", "--file", str(jsonl))
    assert [b["title"] for b in created] == ["One", "Two"]
    assert created[0]["priority"] == 0 and created[0]["labels"] == ["x"]
    assert created[1]["id"] == "gt-two" and created[1]["issue_type"] == "bug"
    assert created[1]["dependencies"][0]["depends_on_id"] == "gt-target"
    assert created[1]["dependencies"][0]["type"] == "related"
    array = tmp_path / "many.json"
    array.write_text(json.dumps([{"title": "Three", "description": "d"},
                                 {"title": "Four", "deps": [{"type": "blocks",
                                                             "depends_on_id": "gt-two"}]}]))
    created = js(bd_repo, "create", "--file", str(array))
    assert [b["title"] for b in created] == ["Three", "Four"]
    assert created[1]["dependencies"][0]["depends_on_id"] == "gt-two"
    from_stdin = js(bd_repo, "create", "--file", "-",
                    stdin='{"title": "Five"}\n{"title": "Six", "ephemeral": false}\n')
    assert [b["title"] for b in from_stdin] == ["Five", "Six"]
    single = js(bd_repo, "create", "--file", "-", stdin='[{"title": "Seven"}]')
    assert isinstance(single, list) and single[0]["title"] == "Seven"
    # One commit for each create (the target, then each --file batch).
    assert len(git(bd_repo, "rev-list", "beads").split()) == before + 5


def test_create_silent_and_human_output(bd_repo: Path) -> None:
    silent = ok(bd_repo, "create", "Quiet", "--silent").stdout
    assert silent.strip().startswith("gt-") and len(silent.strip().split()) == 1
    loud = ok(bd_repo, "create", "Loud").stdout
    assert loud.startswith("created bead gt-") and loud.rstrip().endswith(": Loud")


# ----------------------------------------------------------------------------- show


def test_show_one_several_and_partial(bd_repo: Path) -> None:
    a = new(bd_repo, "Alpha", "-l", "x")
    b = new(bd_repo, "Beta", "--deps", a)
    one = js(bd_repo, "show", a)
    assert one["id"] == a and one["dependents"] == [{"id": b, "type": "blocks"}]
    assert one["blocked_by"] == []
    both = js(bd_repo, "show", a, b)
    assert ids(both) == [a, b]
    assert both[1]["blocked_by"] == [{"id": a, "reason": "blocks"}]
    assert js(bd_repo, "show", b[3:])["id"] == b
    human = ok(bd_repo, "show", a, b).stdout
    assert "Alpha" in human and "Beta" in human and "labels: x" in human


def test_show_as_of_commit(bd_repo: Path) -> None:
    bead = new(bd_repo, "Old title")
    first = tip(bd_repo)
    ok(bd_repo, "update", bead, "--title", "Middle title")
    ok(bd_repo, "update", bead, "--title", "New title")
    then = js(bd_repo, "show", bead, "--as-of", first)
    assert then["title"] == "Old title" and then["as_of"] == first
    assert js(bd_repo, "show", bead, "--as-of", "beads~1")["title"] == "Middle title"
    assert js(bd_repo, "show", bead, "--as-of", first[:12])["title"] == "Old title"
    assert js(bd_repo, "show", bead)["title"] == "New title"
    human = ok(bd_repo, "show", bead, "--as-of", first).stdout
    assert f"(as of commit {first[:10]})" in human and "Old title" in human


def test_show_as_of_date(bd_repo: Path) -> None:
    bead = new(bd_repo, "Dated")
    later = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert js(bd_repo, "show", bead, "--as-of", later)["title"] == "Dated"
    error = json_error(bd_repo, "show", bead, "--as-of", "2000-01-01")
    assert error["code"] == "not_found" and "2000-01-01" in error["error"]
    assert json_error(bd_repo, "show", bead, "--as-of", "not-a-date")["code"] == "invalid_input"


def test_show_as_of_date_picks_the_newest_commit_at_that_time(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commits made within one second share a commit time; `--as-of` must still pick the
    newest of them, not whichever a time-sorted walk happens to list first."""
    base = 1_800_000_000
    times = iter([base, base, base + 10])
    real_signature = pygit2.Signature

    def signature(name: str, email: str, *_args: Any, **_kwargs: Any) -> pygit2.Signature:
        return real_signature(name, email, next(times), 0)

    monkeypatch.setattr(pygit2, "Signature", signature)
    ok(repo, "init", "--prefix", "gt")          # commit time: base
    bead = new(repo, "Version one")             # commit time: base (same second)
    ok(repo, "update", bead, "--title", "Version two")  # commit time: base + 10
    between = datetime.fromtimestamp(base + 5, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert js(repo, "show", bead, "--as-of", between)["title"] == "Version one"


# ----------------------------------------------------------------------------- list


@pytest.fixture
def populated(bd_repo: Path) -> dict[str, str]:
    """Five beads with different fields: the list filters' test bed."""
    made = {
        "bug": new(bd_repo, "Alpha needle", "-p", "0", "-t", "bug", "-a", "bob",
                   "-l", "x,y"),
        "feature": new(bd_repo, "Beta", "-p", "1", "-t", "feature", "-l", "y",
                       "-d", "has a NEEDLE inside"),
        "epic": new(bd_repo, "Gamma epic", "-p", "2", "-t", "epic"),
        "closed": new(bd_repo, "Delta", "-p", "3", "-l", "z"),
    }
    made["child"] = new(bd_repo, "Epsilon child", "-p", "4", "--parent", made["epic"])
    ok(bd_repo, "update", made["feature"], "-s", "in_progress")
    ok(bd_repo, "close", made["closed"], "-r", "done")
    return made


def test_list_default_all_status_type_priority(bd_repo: Path, populated: dict[str, str]) -> None:
    p = populated
    assert ids(js(bd_repo, "list")) == [p["bug"], p["feature"], p["epic"], p["child"]]
    assert set(ids(js(bd_repo, "list", "--all"))) == set(p.values())
    assert ids(js(bd_repo, "list", "-s", "closed")) == [p["closed"]]
    assert ids(js(bd_repo, "list", "-s", "in_progress,closed")) == [p["feature"], p["closed"]]
    assert ids(js(bd_repo, "list", "-s", "open", "-s", "closed")) == \
        [p["bug"], p["epic"], p["closed"], p["child"]]
    assert ids(js(bd_repo, "list", "-t", "bug")) == [p["bug"]]
    assert ids(js(bd_repo, "list", "-t", "bug,epic")) == [p["bug"], p["epic"]]
    assert ids(js(bd_repo, "list", "-p", "P1")) == [p["feature"]]
    assert ids(js(bd_repo, "list", "--priority-min", "1", "--priority-max", "2")) == \
        [p["feature"], p["epic"]]
    assert ids(js(bd_repo, "list", "--priority-min", "3", "--all")) == [p["closed"], p["child"]]
    assert json_error(bd_repo, "list", "-p", "9")["code"] == "invalid_input"


def test_list_assignee_labels_text_parent(bd_repo: Path, populated: dict[str, str]) -> None:
    p = populated
    assert ids(js(bd_repo, "list", "-a", "bob")) == [p["bug"]]
    assert ids(js(bd_repo, "list", "-l", "y")) == [p["bug"], p["feature"]]
    assert ids(js(bd_repo, "list", "-l", "x", "-l", "y")) == [p["bug"]]
    assert ids(js(bd_repo, "list", "-l", "x,y")) == [p["bug"]]
    assert ids(js(bd_repo, "list", "--label-any", "x,z", "--all")) == [p["bug"], p["closed"]]
    assert ids(js(bd_repo, "list", "-q", "needle")) == [p["bug"], p["feature"]]
    assert ids(js(bd_repo, "list", "--text", p["epic"][3:])) == [p["epic"], p["child"]]
    assert ids(js(bd_repo, "list", "--parent", p["epic"])) == [p["child"]]
    assert js(bd_repo, "list", "-a", "nobody") == []
    assert ok(bd_repo, "list", "-a", "nobody").stdout == "no beads\n"


def test_list_dates(bd_repo: Path, populated: dict[str, str]) -> None:
    p = populated
    epic = js(bd_repo, "show", p["epic"])
    assert ids(js(bd_repo, "list", "--created-after", epic["created_at"], "--all")) == \
        [p["epic"], p["closed"], p["child"]]
    assert ids(js(bd_repo, "list", "--created-before", epic["created_at"])) == \
        [p["bug"], p["feature"]]
    assert len(js(bd_repo, "list", "--created-after", "2000-01-01")) == 4
    assert js(bd_repo, "list", "--created-before", "2000-01-01") == []
    feature = js(bd_repo, "show", p["feature"])
    assert set(ids(js(bd_repo, "list", "--updated-after", feature["updated_at"], "--all"))) \
        == {p["feature"], p["closed"]}
    assert p["feature"] not in ids(js(bd_repo, "list", "--updated-before",
                                      feature["updated_at"]))
    assert ids(js(bd_repo, "list", "--all", "--closed-after", "2000-01-01")) == [p["closed"]]
    assert js(bd_repo, "list", "--all", "--closed-before", "2000-01-01") == []
    error = json_error(bd_repo, "list", "--created-after", "yesterday-ish")
    assert error["code"] == "invalid_input" and "--created-after" in error["error"]


def test_list_sort_reverse_limit(bd_repo: Path, populated: dict[str, str]) -> None:
    p = populated
    open_ids = [p["bug"], p["feature"], p["epic"], p["child"]]
    assert ids(js(bd_repo, "list", "--sort", "id")) == sorted(open_ids)
    assert ids(js(bd_repo, "list", "--sort", "id", "-r")) == sorted(open_ids, reverse=True)
    assert ids(js(bd_repo, "list", "--sort", "title")) == \
        [p["bug"], p["feature"], p["child"], p["epic"]]
    assert [b["title"] for b in js(bd_repo, "list", "--sort", "title", "--all")] == \
        ["Alpha needle", "Beta", "Delta", "Epsilon child", "Gamma epic"]
    assert ids(js(bd_repo, "list", "--sort", "created")) == open_ids
    assert ids(js(bd_repo, "list", "--sort", "created", "-r")) == open_ids[::-1]
    assert ids(js(bd_repo, "list", "--sort", "status"))[0] == p["feature"]  # in_progress
    assert ids(js(bd_repo, "list", "--sort", "updated"))[-1] == p["feature"]
    assert ids(js(bd_repo, "list", "-n", "2")) == open_ids[:2]
    assert len(js(bd_repo, "list", "-n", "0", "--all")) == 5
    human = ok(bd_repo, "list").stdout.splitlines()
    assert len(human) == 4 and human[0].startswith(f"○ {p['bug']} [P0] [bug] open - Alpha")
    assert "@bob" in human[0] and "#x #y" in human[0]


# ----------------------------------------------------------------------------- update


def test_update_every_field(bd_repo: Path) -> None:
    bead = new(bd_repo, "Before")
    after = js(bd_repo, "update", bead, "--title", "After", "-d", "desc", "--design", "des",
               "--acceptance", "acc", "--notes", "n1", "-s", "blocked", "-p", "0",
               "-t", "feature", "-a", "bob", "--owner", "olive", "--due", "2031-05-06",
               "--defer", "2031-01-01", "--estimate", "45", "--external-ref", "jira-9",
               "--metadata", '{"a": 1}')
    assert after["title"] == "After" and after["description"] == "desc"
    assert (after["design"], after["acceptance_criteria"], after["notes"]) == \
        ("des", "acc", "n1")
    assert (after["status"], after["priority"], after["issue_type"]) == \
        ("blocked", 0, "feature")
    assert (after["assignee"], after["owner"], after["external_ref"]) == \
        ("bob", "olive", "jira-9")
    assert after["due_at"] == "2031-05-06T00:00:00.000Z"
    assert after["defer_until"] == "2031-01-01T00:00:00.000Z"
    assert after["estimated_minutes"] == 45 and after["metadata"] == {"a": 1}
    assert after["updated_at"] > after["created_at"]
    cleared = js(bd_repo, "update", bead, "-a", "", "--due", "", "--defer", "",
                 "--estimate", "", "--owner", "", "--external-ref", "")
    for key in ("assignee", "due_at", "defer_until", "estimated_minutes", "owner",
                "external_ref"):
        assert key not in cleared, key
    human = ok(bd_repo, "update", bead, "-p", "P3").stdout
    assert human == f"updated {bead}: After [blocked]\n"


def test_update_labels_notes_and_set(bd_repo: Path) -> None:
    bead = new(bd_repo, "Labelled", "-l", "a,b")
    after = js(bd_repo, "update", bead, "--add-label", "c,d", "--add-label", "e",
               "--remove-label", "a")
    assert after["labels"] == ["b", "c", "d", "e"]
    js(bd_repo, "update", bead, "--append-notes", "one")
    after = js(bd_repo, "update", bead, "--append-notes", "two")
    assert after["notes"] == "one\ntwo"
    after = js(bd_repo, "update", bead, "--set", "sprint=42", "--set", "title=Via set",
               "--set", "priority=1")
    assert after["sprint"] == "42" and after["title"] == "Via set" and after["priority"] == 1
    assert js(bd_repo, "show", bead)["sprint"] == "42"
    error = json_error(bd_repo, "update", bead, "--set", "created_at=2020-01-01")
    assert error["code"] == "invalid_input"


def test_update_claim(bd_repo: Path) -> None:
    bead = new(bd_repo, "Contested")
    claimed = js(bd_repo, "update", bead, "--claim")
    assert claimed["assignee"] == "alice" and claimed["status"] == "in_progress"
    assert claimed["started_at"]
    tip_before = tip(bd_repo)
    assert js(bd_repo, "update", bead, "--claim")["assignee"] == "alice"  # idempotent
    assert tip(bd_repo) == tip_before
    error = json_error(bd_repo, "update", bead, "--claim", actor="bob")
    assert error["code"] == "already_claimed" and "alice" in error["error"]
    assert tip(bd_repo) == tip_before
    assert ok(bd_repo, "update", new(bd_repo, "Other"), "--claim").stdout.startswith("claimed ")


# ----------------------------------------------------------------------------- close etc.


def test_close_reason_failed_guards_force(bd_repo: Path) -> None:
    blocker = new(bd_repo, "Blocker")
    work = new(bd_repo, "Work", "--deps", blocker)
    epic = new(bd_repo, "Epic", "-t", "epic")
    child = new(bd_repo, "Child", "--parent", epic)
    before = tip(bd_repo)
    error = json_error(bd_repo, "close", work)
    assert error["code"] == "guard" and blocker in error["error"]
    error = json_error(bd_repo, "close", epic)
    assert error["code"] == "guard" and child in error["error"]
    assert tip(bd_repo) == before
    closed = js(bd_repo, "close", blocker, "-r", "done")
    assert closed[0]["status"] == "closed" and closed[0]["close_reason"] == "done"
    assert closed[0]["closed_at"]
    both = js(bd_repo, "close", epic, child)  # closing the children along is allowed
    assert [b["status"] for b in both] == ["closed", "closed"]
    failed = js(bd_repo, "close", work, "--failed", "--reason", "no luck")[0]
    assert failed["close_failed"] is True and failed["close_reason"] == "no luck"
    other_blocker = new(bd_repo, "Other blocker")
    forced = new(bd_repo, "Forced", "--deps", other_blocker)
    assert js(bd_repo, "close", forced, "--force")[0]["status"] == "closed"
    assert ok(bd_repo, "close", other_blocker).stdout == \
        f"closed {other_blocker}: Other blocker\n"


def test_reopen(bd_repo: Path) -> None:
    bead = new(bd_repo, "Again")
    ok(bd_repo, "close", bead, "--failed", "-r", "why")
    reopened = js(bd_repo, "reopen", bead)[0]
    assert reopened["status"] == "open"
    for key in ("closed_at", "close_reason", "close_failed"):
        assert key not in reopened, key
    assert json_error(bd_repo, "reopen", bead)["code"] == "invalid_input"


def test_delete(bd_repo: Path) -> None:
    doomed = new(bd_repo, "Doomed")
    other = new(bd_repo, "Depends", "--deps", doomed)
    error = json_error(bd_repo, "delete", doomed)
    assert error["code"] == "guard" and other in error["error"]
    assert js(bd_repo, "delete", doomed, "--force") == {"schema_version": 1,
                                                        "deleted": [doomed]}
    assert json_error(bd_repo, "show", doomed)["code"] == "not_found"
    assert doomed not in ids(js(bd_repo, "list", "--all"))
    lone = new(bd_repo, "Lone")
    assert ok(bd_repo, "delete", lone).stdout == f"deleted {lone}\n"


# ----------------------------------------------------------------------------- ready, blocked


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_ready_sorts_filters_and_exclusions(bd_repo: Path) -> None:
    now = datetime.now(UTC)
    records = [  # id, priority, created
        ("gt-oldlow", 3, now - timedelta(days=400)),
        ("gt-oldhigh", 1, now - timedelta(days=300)),
        ("gt-newlow", 3, now - timedelta(hours=2)),
        ("gt-newhigh", 0, now - timedelta(hours=1)),
    ]
    lines = [json.dumps({"id": i, "title": i, "priority": p, "issue_type": "task",
                         "status": "open", "created_at": _stamp(c), "updated_at": _stamp(c)})
             for i, p, c in records]
    js(bd_repo, "import", "-", stdin="\n".join(lines) + "\n")
    # None of these is ready work.
    busy = new(bd_repo, "Busy", "-p", "0")
    ok(bd_repo, "update", busy, "-s", "in_progress")
    new(bd_repo, "Deferred", "-p", "0", "--defer", _stamp(now + timedelta(days=3)))
    new(bd_repo, "A message", "-p", "0", "-t", "message")
    new(bd_repo, "Held", "-p", "0", "--deps", "gt-oldlow")
    new(bd_repo, "A wisp", "-p", "0", "--ephemeral")
    gone = new(bd_repo, "Closed", "-p", "0")
    ok(bd_repo, "close", gone)

    assert ids(js(bd_repo, "ready")) == ["gt-newhigh", "gt-oldhigh", "gt-oldlow", "gt-newlow"]
    assert ids(js(bd_repo, "ready", "--sort", "priority")) == \
        ["gt-newhigh", "gt-oldhigh", "gt-oldlow", "gt-newlow"]
    assert ids(js(bd_repo, "ready", "--sort", "oldest")) == \
        ["gt-oldlow", "gt-oldhigh", "gt-newlow", "gt-newhigh"]
    # hybrid: the last 48 hours by priority, then older work oldest first
    assert ids(js(bd_repo, "ready", "--sort", "hybrid")) == \
        ["gt-newhigh", "gt-newlow", "gt-oldlow", "gt-oldhigh"]
    assert ids(js(bd_repo, "ready", "-n", "2")) == ["gt-newhigh", "gt-oldhigh"]
    assert ids(js(bd_repo, "ready", "-p", "3", "--sort", "oldest")) == \
        ["gt-oldlow", "gt-newlow"]
    assert "nothing ready" in ok(bd_repo, "ready", "-a", "nobody").stdout

    claimed = js(bd_repo, "ready", "--claim", "--sort", "oldest")
    assert claimed["id"] == "gt-oldlow" and claimed["assignee"] == "alice"
    assert claimed["status"] == "in_progress"
    assert js(bd_repo, "ready", "--claim", actor="bob")["id"] == "gt-newhigh"
    assert js(bd_repo, "ready", "--claim", "-a", "nobody") == {"schema_version": 1,
                                                               "claimed": None}


def test_blocked(bd_repo: Path) -> None:
    assert js(bd_repo, "blocked") == []
    assert ok(bd_repo, "blocked").stdout == "nothing blocked\n"
    gate = new(bd_repo, "Gate")
    work = new(bd_repo, "Work", "--deps", gate)
    epic = new(bd_repo, "Epic", "-t", "epic", "--deps", gate)
    child = new(bd_repo, "Child", "--parent", epic)
    held = {b["id"]: b["blocked_by"] for b in js(bd_repo, "blocked")}
    assert held == {work: [{"id": gate, "reason": "blocks"}],
                    epic: [{"id": gate, "reason": "blocks"}],
                    child: [{"id": epic, "reason": "parent blocked"}]}
    assert f"⊘ {gate} (blocks)" in ok(bd_repo, "blocked").stdout


# ----------------------------------------------------------------------------- dep


def test_dep_add_rm_list_tree(bd_repo: Path) -> None:
    a, b, c = (new(bd_repo, t) for t in ("A", "B", "C"))
    assert js(bd_repo, "dep", "add", a, b) == {"schema_version": 1, "issue_id": a,
                                               "depends_on_id": b, "type": "blocks"}
    js(bd_repo, "dep", "add", b, c)
    js(bd_repo, "dep", "add", a, c, "-t", "related")
    listed = js(bd_repo, "dep", "list", a)
    assert listed["depends_on"] == [{"id": b, "type": "blocks"}, {"id": c, "type": "related"}]
    assert listed["dependents"] == []
    assert js(bd_repo, "dep", "list", c)["dependents"] == [{"id": b, "type": "blocks"},
                                                           {"id": a, "type": "related"}]
    tree = js(bd_repo, "dep", "tree", a)
    assert tree["id"] == a and [n["id"] for n in tree["children"]] == [b, c]
    assert tree["children"][0]["children"][0]["id"] == c
    reverse = js(bd_repo, "dep", "tree", c, "--reverse")
    assert {n["id"] for n in reverse["children"]} == {a, b}
    shallow = js(bd_repo, "dep", "tree", a, "--depth", "1")
    assert all(n["children"] == [] for n in shallow["children"])
    assert f"  {b} [open] B (blocks)" in ok(bd_repo, "dep", "tree", a).stdout
    assert js(bd_repo, "dep", "rm", a, c) == {"schema_version": 1, "removed": 1}
    assert js(bd_repo, "dep", "list", a)["depends_on"] == [{"id": b, "type": "blocks"}]
    assert json_error(bd_repo, "dep", "rm", a, c)["code"] == "not_found"
    assert json_error(bd_repo, "dep", "add", c, a)["code"] == "dependency_cycle"
    assert json_error(bd_repo, "dep", "add", a, b, "-t", "nonsense")["code"] == "invalid_input"


def test_dep_waits_for_gate_and_hierarchy_tree(bd_repo: Path) -> None:
    fanout = new(bd_repo, "Fan out", "-t", "epic")
    kids = [new(bd_repo, f"kid {n}", "--parent", fanout) for n in range(2)]
    join = new(bd_repo, "Join any")
    js(bd_repo, "dep", "add", join, fanout, "-t", "waits-for", "--gate", "any")
    assert join not in ids(js(bd_repo, "ready"))
    ok(bd_repo, "close", kids[0])
    assert join in ids(js(bd_repo, "ready"))
    plain = js(bd_repo, "dep", "tree", kids[1])
    assert plain["children"] == []
    hierarchy = js(bd_repo, "dep", "tree", kids[1], "--hierarchy")
    assert [n["id"] for n in hierarchy["children"]] == [fanout]


def test_dep_cycles(bd_repo: Path) -> None:
    assert js(bd_repo, "dep", "cycles") == {"schema_version": 1, "cycles": []}
    assert ok(bd_repo, "dep", "cycles").stdout == "no dependency cycles\n"
    # `bd dep add` refuses cycles; an import (like a merge of two clones) can still make one.
    rows = [{"id": "gt-a", "title": "A", "dependencies": [{"depends_on_id": "gt-b",
                                                           "type": "blocks"}]},
            {"id": "gt-b", "title": "B", "dependencies": [{"depends_on_id": "gt-a",
                                                           "type": "blocks"}]}]
    js(bd_repo, "import", "-", stdin="\n".join(json.dumps(r) for r in rows))
    assert js(bd_repo, "dep", "cycles")["cycles"] == [["gt-a", "gt-b", "gt-a"]]
    assert "gt-a -> gt-b -> gt-a" in ok(bd_repo, "dep", "cycles").stdout


# ----------------------------------------------------------------------------- labels, comments


def test_label_add_rm_list(bd_repo: Path) -> None:
    a, b = new(bd_repo, "A"), new(bd_repo, "B", "-l", "old")
    assert js(bd_repo, "label", "add", a, b, "urgent") == {
        "schema_version": 1, "ids": [a, b], "label": "urgent", "action": "add"}
    assert js(bd_repo, "label", "list", a) == {"schema_version": 1, "labels": ["urgent"]}
    assert js(bd_repo, "label", "list")["labels"] == {"old": 1, "urgent": 2}
    js(bd_repo, "label", "rm", b, "old")
    assert js(bd_repo, "show", b)["labels"] == ["urgent"]
    assert ok(bd_repo, "label", "list").stdout == "urgent  2\n"
    assert json_error(bd_repo, "label", "add", a, "bad,label")["code"] == "invalid_input"


def test_comment_add_list(bd_repo: Path) -> None:
    bead = new(bd_repo, "Discussed")
    assert js(bd_repo, "comment", "list", bead) == []
    first = js(bd_repo, "comment", "add", bead, "first\nsecond line")
    assert first["text"] == "first\nsecond line" and first["author"] == "alice"
    assert first["created_at"] and first["id"]
    js(bd_repo, "comments", "add", bead, "-", stdin="from stdin", actor="bob")
    listed = js(bd_repo, "comment", "list", bead)
    assert [(c["author"], c["text"]) for c in listed] == [("alice", "first\nsecond line"),
                                                         ("bob", "from stdin")]
    human = ok(bd_repo, "comment", "list", bead).stdout
    assert "alice:\n  first\n  second line\n" in human
    assert json_error(bd_repo, "comment", "add", bead, "   ")["code"] == "invalid_input"


# ----------------------------------------------------------------------------- whole ledger


def test_search_and_stats(bd_repo: Path) -> None:
    a = new(bd_repo, "Find the haystack needle", "-t", "bug", "-p", "0")
    b = new(bd_repo, "Other", "-d", "more NEEDLES here")
    c = new(bd_repo, "Unrelated")
    ok(bd_repo, "close", b)
    found = js(bd_repo, "search", "needle")
    assert set(ids(found)) == {a, b}  # closed ones too
    assert len(js(bd_repo, "search", "needle", "-n", "1")) == 1
    assert ok(bd_repo, "search", "zebra").stdout == "nothing matches 'zebra'\n"
    new(bd_repo, "Gate", "--deps", c)
    new(bd_repo, "Wisp", "--ephemeral")
    stats = js(bd_repo, "stats")
    assert stats["total"] == 4 and stats["wisps"] == 1
    assert stats["by_status"] == {"open": 3, "closed": 1}
    assert stats["by_type"] == {"bug": 1, "task": 3}
    assert stats["by_priority"] == {"0": 1, "2": 3}
    assert stats["ready"] == 2 and stats["blocked"] == 1
    assert ok(bd_repo, "stats").stdout.startswith("beads: 4   wisps: 1   ready: 2   blocked: 1")


def test_history(bd_repo: Path) -> None:
    bead = new(bd_repo, "Storied")
    ok(bd_repo, "update", bead, "--title", "Renamed", actor="bob")
    ok(bd_repo, "label", "add", bead, "l1")
    ok(bd_repo, "comment", "add", bead, "hi")
    ok(bd_repo, "close", bead)
    events = js(bd_repo, "history", bead)
    assert [e["op"] for e in events] == ["create", "update", "label.add", "comment.add",
                                         "close"]
    assert [e["actor"] for e in events][:2] == ["alice", "bob"]
    assert events[-1]["commit"] == tip(bd_repo)
    assert events[1]["data"]["set"]["title"] == "Renamed"
    assert all(e["bead"] == bead and e["ts"] for e in events)
    human = ok(bd_repo, "history", bead).stdout.splitlines()
    assert len(human) == 5 and " bob  update " in human[1]
    assert json_error(bd_repo, "history", "gt-nothere")["code"] == "not_found"


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


def test_global_json_flag(bd_repo: Path) -> None:
    bead = new(bd_repo, "Global")
    shown = json.loads(ok(bd_repo, "--json", "show", bead).stdout)
    assert shown["id"] == bead and shown["schema_version"] == 1
    result = invoke(bd_repo, "--json", "show", "gt-zzzz")
    assert result.exit_code == 1 and json.loads(result.stderr)["code"] == "not_found"


# ----------------------------------------------------------------------------- bad input


@pytest.fixture
def small(repo: Path) -> Path:
    """A ledger with gt-ab1x depending on gt-ab2x, built through the Python API (fast)."""
    ledger = Ledger.init(repo, "gt", actor="alice")
    ledger.create("first", bead_id="gt-ab1x")
    ledger.create("second", bead_id="gt-ab2x")
    ledger.dep_add("gt-ab1x", "gt-ab2x")
    return repo


BAD_JSONL_LINE = '{"id": "gt-new1", "title": "fine"}\n{"id": "gt-new2", "title": \n'
BAD_INPUT: list[tuple[str, tuple[str, ...], str | None, str]] = [
    ("unknown id", ("show", "gt-zzzz"), None, "no bead matches 'gt-zzzz'"),
    ("unknown id on update", ("update", "zzzz", "--title", "x"), None, "no bead matches"),
    ("unknown id on close", ("close", "gt-nope"), None, "no bead matches"),
    ("ambiguous partial id", ("close", "ab"), None, "ambiguous: gt-ab1x, gt-ab2x"),
    ("ambiguous on show", ("show", "gt-ab"), None, "ambiguous: gt-ab1x, gt-ab2x"),
    ("priority out of range", ("create", "t", "-p", "7"), None, "invalid priority '7'"),
    ("priority word", ("create", "t", "-p", "high"), None, "invalid priority"),
    ("priority on update", ("update", "gt-ab1x", "-p", "P9"), None, "invalid priority"),
    ("status", ("update", "gt-ab1x", "-s", "weird"), None, "invalid status 'weird'"),
    ("status via --set", ("update", "gt-ab1x", "--set", "status=weird"), None,
     "invalid status"),
    ("type", ("create", "t", "-t", "nope"), None, "invalid type 'nope'"),
    ("type on update", ("update", "gt-ab1x", "-t", "nope"), None, "invalid type"),
    ("dep on missing bead", ("create", "t", "--deps", "blocks:gt-missing"), None,
     "no bead matches 'gt-missing'"),
    ("parent missing", ("create", "t", "--parent", "gt-missing"), None, "gt-missing"),
    ("dep add missing", ("dep", "add", "gt-ab1x", "gt-missing"), None, "gt-missing"),
    ("cycle", ("dep", "add", "gt-ab2x", "gt-ab1x"), None, "cycle"),
    ("self cycle", ("dep", "add", "gt-ab1x", "gt-ab1x"), None, "itself"),
    ("id with slash", ("create", "t", "--id", "a/b"), None, "invalid bead id 'a/b'"),
    ("id with dotdot", ("create", "t", "--id", "../x"), None, "invalid bead id"),
    ("id with inner dotdot", ("create", "t", "--id", "a..b"), None, "invalid bead id"),
    ("id with space", ("create", "t", "--id", "a b"), None, "invalid bead id"),
    ("id with tab", ("create", "t", "--id", "a\tb"), None, "invalid bead id"),
    ("id with newline", ("create", "t", "--id", "a\nb"), None, "invalid bead id"),
    ("id with ESC", ("create", "t", "--id", "a\x1b[2Jb"), None, "invalid bead id"),
    ("id with DEL", ("create", "t", "--id", "a\x7fb"), None, "invalid bead id"),
    ("show path id", ("show", "../../etc/passwd"), None, "invalid bead id"),
    ("update spaced id", ("update", "gt ab1x", "--title", "x"), None, "invalid bead id"),
    ("dep to path id", ("dep", "add", "gt-ab1x", "a/b"), None, "invalid bead id"),
    ("long title", ("create", "x" * 501), None, "limit is 500"),
    ("long title on update", ("update", "gt-ab1x", "--title", "y" * 501), None,
     "limit is 500"),
    ("bad JSONL on stdin", ("create", "--file", "-"), '{"title": "ok"}\n{oops\n',
     "stdin line 2: malformed JSON"),
    ("bad JSON array on stdin", ("create", "--file", "-"), '[{"title": "ok"}, {oops',
     "stdin: malformed JSON"),
    ("invalid bead in --file", ("create", "--file", "-"),
     '{"title": "ok"}\n{"title": "x", "priority": 9}\n', "invalid priority"),
    ("--file not an object", ("create", "--file", "-"), '[{"title": "ok"}, 3]',
     "stdin item 2: expected a JSON object"),
    ("malformed import line", ("import", "-"), BAD_JSONL_LINE, "line 2: malformed JSON"),
    ("invalid import line", ("import", "-"),
     '{"id": "gt-new1", "title": "a"}\n\n{"id": "gt-new2", "title": "b", "priority": 8}\n',
     "line 3: invalid priority"),
    ("import line with path id", ("import", "-"), '{"id": "../evil", "title": "a"}\n',
     "line 1: invalid bead id"),
    ("duplicate import ids", ("import", "-"),
     '{"id": "gt-new1", "title": "a"}\n{"id": "gt-new1", "title": "b"}\n',
     "also on line 1"),
    ("bad metadata", ("create", "t", "--metadata", "{nope"), None, "--metadata"),
    ("bad date", ("create", "t", "--due", "next tuesday"), None, "invalid due_at"),
    ("derived field", ("update", "gt-ab1x", "--set", "created_at=2020-01-01"), None,
     "set by the ledger"),
    ("bad label", ("label", "add", "gt-ab1x", "a,b"), None, "invalid label"),
    ("blank comment", ("comment", "add", "gt-ab1x", " "), None, "needs text"),
    ("close guard", ("close", "gt-ab1x"), None, "blocked by open gt-ab2x"),
    ("delete guard", ("delete", "gt-ab2x"), None, "gt-ab1x depend"),
    ("reopen open bead", ("reopen", "gt-ab1x"), None, "is not closed"),
    ("burn a bead", ("wisp", "burn", "gt-ab1x"), None, "not a wisp"),
    ("promote a bead", ("promote", "gt-ab1x"), None, "not a wisp"),
    ("config key", ("config", "set", "Bad Key", "x"), None, "invalid config key"),
    ("missing --file", ("create", "--file", "no-such-file.jsonl"), None, "cannot read"),
]


@pytest.mark.parametrize(("args", "stdin", "fragment"),
                         [pytest.param(a, s, f, id=name) for name, a, s, f in BAD_INPUT])
def test_bad_input_one_line_nonzero_nothing_written(small: Path, args: tuple[str, ...],
                                                    stdin: str | None, fragment: str) -> None:
    before = tip(small)
    result = invoke(small, *args, stdin=stdin)
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bd: "), result.stderr
    assert fragment in lines[0]
    assert "\x1b" not in result.stderr
    assert tip(small) == before
    as_json = invoke(small, "--json", *args, stdin=stdin)
    assert as_json.exit_code == 1 and as_json.stdout == ""
    error = json.loads(as_json.stderr)
    assert fragment in error["error"] and error["code"]
    assert tip(small) == before


@pytest.mark.parametrize("name", ["unknown id", "ambiguous partial id", "id with ESC", "cycle",
                                  "bad JSONL on stdin", "malformed import line"])
def test_bad_input_from_a_real_process(small: Path, name: str) -> None:
    """The same as above through a real `bd` process: its stderr, exit status and ref."""
    [(args, stdin, fragment)] = [(a, s, f) for n, a, s, f in BAD_INPUT if n == name]
    before = tip(small)
    for extra in ((), ("--json",)):
        result = run_bd(small, *extra, *args, stdin=stdin)
        assert result.returncode == 1 and result.stdout == ""
        assert len(result.stderr.splitlines()) == 1 and fragment in result.stderr
        assert "Traceback" not in result.stderr and "\x1b" not in result.stderr
        if extra:
            assert fragment in json.loads(result.stderr)["error"]
    assert tip(small) == before


def test_ambiguous_id_json_error_lists_candidates(small: Path) -> None:
    result = run_bd(small, "show", "ab", "--json")
    assert result.returncode == 1
    error = json.loads(result.stderr)
    assert error["code"] == "ambiguous_id"
    assert "gt-ab1x" in error["error"] and "gt-ab2x" in error["error"]


def test_import_is_all_or_nothing(small: Path) -> None:
    before = tip(small)
    lines = [json.dumps({"id": f"gt-bulk{n}", "title": f"bulk {n}"}) for n in range(30)]
    lines[25] = lines[25][:-5]
    result = run_bd(small, "import", "-", stdin="\n".join(lines))
    assert result.returncode == 1 and "line 26" in result.stderr
    assert tip(small) == before
    assert len(json.loads(run_bd(small, "list", "--json", "--all").stdout)) == 2


def test_usage_error_with_json_is_json(small: Path) -> None:
    """With --json every error is JSON on stderr, also a malformed option value."""
    before = tip(small)
    result = run_bd(small, "update", "gt-ab1x", "--set", "no-equals-sign", "--json")
    assert result.returncode != 0 and result.stdout == ""
    error = json.loads(result.stderr)
    assert "FIELD=VALUE" in error["error"]
    assert tip(small) == before


def test_invalid_utf8_argument_is_a_clean_error(small: Path) -> None:
    """A title that is not UTF-8 (byte 0x9b in argv) gets one line, not a traceback."""
    before = tip(small)
    result = run_bd(small, "create", "bad \udc9b byte")  # argv carries the raw byte 0x9b
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bd: "), result.stderr
    assert tip(small) == before


HOSTILE = ("ok\nsecond line\r\x1b[31mred\x1b[0m\x1b]0;title\x07 ; rm -rf ~ $(touch pwned) "
           "`touch pwned` \u009b2J \u2028 end")


def test_hostile_title_stored_exactly_human_output_inert(small: Path) -> None:
    created = run_bd(small, "create", HOSTILE, "--json", "-l", "tag")
    assert created.returncode == 0, created.stderr
    bead = json.loads(created.stdout)
    assert bead["title"] == HOSTILE
    assert json.loads(run_bd(small, "show", bead["id"], "--json").stdout)["title"] == HOSTILE
    run_bd(small, "comment", "add", bead["id"], HOSTILE, check=True)
    run_bd(small, "update", bead["id"], "--append-notes", HOSTILE, "-d", HOSTILE, check=True)
    shown = json.loads(run_bd(small, "show", bead["id"], "--json").stdout)
    assert shown["comments"][0]["text"] == HOSTILE
    assert shown["notes"] == HOSTILE and shown["description"] == HOSTILE
    assert not (small / "pwned").exists()
    for args in (("list",), ("show", bead["id"]), ("search", "second"), ("ready",),
                 ("history", bead["id"]), ("comment", "list", bead["id"]),
                 ("update", bead["id"], "-p", "1"), ("label", "list")):
        result = run_bd(small, *args)
        assert result.returncode == 0, (args, result.stderr)
        out = result.stdout + result.stderr
        assert "second line" in out or args == ("label", "list"), args
        assert "\x1b" not in out and "\x07" not in out and "\u009b" not in out, args
        assert "\u2028" not in out and "\r" not in out, args
    listed = run_bd(small, "list").stdout
    row = next(r for r in listed.splitlines() if bead["id"] in r)
    assert "ok\\nsecond line" in row and "\\x1b[31mred" in row

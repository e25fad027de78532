"""`bd update`, `close`, `reopen` and `delete` (beads/cli/updating.py)."""

from __future__ import annotations

from pathlib import Path

from tests.bd_helpers import ids, js, json_error, new, ok
from tests.conftest import tip


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

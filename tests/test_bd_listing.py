"""`bd list`, `ready`, `blocked`, `search` and `stats` (beads/cli/listing.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.bd_helpers import ids, js, json_error, new, ok


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
    held = {b["id"]: b["blockers"] for b in js(bd_repo, "blocked")}
    assert held == {work: [{"id": gate, "reason": "blocks"}],
                    epic: [{"id": gate, "reason": "blocks"}],
                    child: [{"id": epic, "reason": "parent blocked"}]}
    assert f"⊘ {gate} (blocks)" in ok(bd_repo, "blocked").stdout


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

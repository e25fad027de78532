"""`bd import` applies the rules `bd create` and `bd dep add` apply, naming the line; a refused
import writes nothing; and `bd verify` fails on a cycle of blocking links."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from beads import Ledger
from tests.conftest import bd_run, git, tip


def jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def bead(bead_id: str, *deps: tuple[str, str], **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"id": bead_id, "title": f"Bead {bead_id}", **fields}
    if deps:
        record["dependencies"] = [{"depends_on_id": target, "type": kind}
                                  for kind, target in deps]
    return record


def refused(repo: Path, text: str) -> str:
    """Import `text`, which must fail with one line on stderr and leave the ledger as it was;
    the error line."""
    before = tip(repo)
    result = bd_run(repo, "import", "-", stdin=text)
    assert result.returncode == 1, result.stdout
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert tip(repo) == before
    return result.stderr.strip()


@pytest.fixture
def bd_repo(ledger: Ledger, repo: Path) -> Path:
    return repo


def test_a_two_cycle_is_refused_naming_the_line_that_closes_it(bd_repo: Path) -> None:
    error = refused(bd_repo, jsonl(bead("gt-a", ("blocks", "gt-b")),
                                   bead("gt-b", ("blocks", "gt-a"))))
    assert error.startswith("bd: line 2: ") and "cycle" in error
    assert bd_run(bd_repo, "list", "--json").stdout.strip() == "[]"


def test_a_longer_cycle_names_the_last_line_and_the_error_code(bd_repo: Path) -> None:
    text = jsonl(bead("gt-a", ("waits-for", "gt-b")), bead("gt-x"),
                 bead("gt-b", ("conditional-blocks", "gt-c")), bead("gt-c", ("blocks", "gt-a")))
    assert refused(bd_repo, text).startswith("bd: line 4: refused: gt-c -> gt-a would close")
    result = bd_run(bd_repo, "import", "-", "--json", stdin=text)
    assert json.loads(result.stderr)["code"] == "dependency_cycle"


def test_a_bead_blocking_itself_is_refused(bd_repo: Path) -> None:
    error = refused(bd_repo, jsonl(bead("gt-x"), bead("gt-a", ("blocks", "gt-a"))))
    assert error == "bd: line 2: gt-a cannot depend on itself"


def test_a_bead_that_is_its_own_parent_is_refused(bd_repo: Path) -> None:
    error = refused(bd_repo, jsonl(bead("gt-a", ("parent-child", "gt-a"))))
    assert error == "bd: line 1: gt-a cannot depend on itself"


def test_a_parent_cycle_is_refused(bd_repo: Path) -> None:
    error = refused(bd_repo, jsonl(bead("gt-a", ("parent-child", "gt-b")),
                                   bead("gt-b", ("parent-child", "gt-c")),
                                   bead("gt-c", ("parent-child", "gt-a"))))
    assert error.startswith("bd: line 3: ") and "its own ancestor" in error


def test_a_cycle_with_links_already_in_the_ledger_is_refused(ledger: Ledger,
                                                             bd_repo: Path) -> None:
    a = ledger.create("A", bead_id="gt-a")["id"]
    b = ledger.create("B", bead_id="gt-b")["id"]
    ledger.dep_add(a, b)
    error = refused(bd_repo, jsonl(bead("gt-c"), bead(b, ("blocks", a))))
    assert error.startswith("bd: line 2: refused: gt-b -> gt-a would close")
    # Dropping the old link in the same import makes the new one fine.
    assert bd_run(bd_repo, "import", "-",
                  stdin=jsonl(bead(a), bead(b, ("blocks", a)))).returncode == 0
    assert ledger.get(b)["dependencies"][0]["depends_on_id"] == a
    assert ledger.get(a)["dependencies"] == []


def test_links_that_close_no_cycle_import_in_any_order(bd_repo: Path) -> None:
    text = jsonl(bead("gt-c", ("blocks", "gt-b"), ("related", "gt-a")),
                 bead("gt-b", ("blocks", "gt-a"), ("parent-child", "gt-p")),
                 bead("gt-a", ("related", "gt-c")), bead("gt-p"))
    result = bd_run(bd_repo, "import", "-", stdin=text)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "imported: 4 created, 0 updated, 0 unchanged\n"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("labels", "notalist", "labels must be a list, not a string"),
    ("labels", {"a": 1}, "labels must be a list, not an object"),
    ("labels", [7], "invalid label 7"),
    ("labels", ["a,b"], "invalid label 'a,b'"),
    ("dependencies", "gt-b", "dependencies must be a list, not a string"),
    ("dependencies", [{"depends_on_id": "../x"}], "invalid bead id '../x'"),
    ("comments", True, "comments must be a list, not a boolean"),
    ("id", "../etc", "invalid bead id '../etc'"),
    ("priority", 7, "invalid priority 7"),
    ("issue_type", "nonsense", "invalid type 'nonsense'"),
])
def test_malformed_collections_and_fields_are_refused(bd_repo: Path, field: str, value: Any,
                                                      message: str) -> None:
    record = {**bead("gt-a"), field: value}
    error = refused(bd_repo, jsonl(bead("gt-z"), record))
    assert error.startswith(f"bd: line 2: {message}"), error


def test_an_id_that_is_not_text_is_refused(bd_repo: Path) -> None:
    for value in (["gt-a"], {"id": "gt-a"}, 7, None):
        error = refused(bd_repo, jsonl(bead("gt-z"), {**bead("gt-a"), "id": value}))
        assert error.startswith("bd: line 2: ") and "bead id" in error


def test_missing_priority_and_type_take_the_defaults_of_create(ledger: Ledger,
                                                               bd_repo: Path) -> None:
    text = jsonl({"id": "gt-a", "title": "No priority, no type"},
                 {"id": "gt-b", "title": "Nulls", "priority": None, "issue_type": None},
                 {"id": "gt-c", "title": "P0 bug", "priority": 0, "issue_type": "bug"})
    assert bd_run(bd_repo, "import", "-", stdin=text).returncode == 0
    created = ledger.get(ledger.create("Made by create")["id"])
    for bead_id in ("gt-a", "gt-b"):
        doc = ledger.get(bead_id)
        assert (doc["priority"], doc["issue_type"], doc["status"]) == \
            (created["priority"], created["issue_type"], created["status"]) == (2, "task", "open")
    assert (ledger.get("gt-c")["priority"], ledger.get("gt-c")["issue_type"]) == (0, "bug")
    listed = bd_run(bd_repo, "list").stdout
    assert "PNone" not in listed and "None" not in listed
    # A line for an existing bead that leaves them out sets the defaults, never a null.
    assert bd_run(bd_repo, "import", "-",
                  stdin=jsonl({"id": "gt-c", "title": "P0 bug"})).returncode == 0
    assert (ledger.get("gt-c")["priority"], ledger.get("gt-c")["issue_type"]) == (2, "task")


def test_a_line_for_a_deleted_bead_leaves_it_deleted(ledger: Ledger, bd_repo: Path) -> None:
    gone = ledger.create("Gone", bead_id="gt-gone")["id"]
    ledger.delete([gone])
    result = bd_run(bd_repo, "import", "-", stdin=jsonl(bead(gone), bead("gt-new")))
    assert result.stdout == "imported: 1 created, 0 updated, 1 unchanged\n"
    assert [d["id"] for d in ledger.list()] == ["gt-new"]


def test_links_to_beads_absent_from_the_ledger_are_kept_and_never_block(
        ledger: Ledger, bd_repo: Path) -> None:
    # Beads' own exports name wisps and deleted beads that they do not export.
    text = jsonl(bead("gt-a", ("blocks", "gt-wisp-x1"), ("parent-child", "gt-gone")))
    assert bd_run(bd_repo, "import", "-", stdin=text).returncode == 0
    assert {d["depends_on_id"] for d in ledger.get("gt-a")["dependencies"]} == \
        {"gt-wisp-x1", "gt-gone"}
    assert [d["id"] for d in ledger.ready()] == ["gt-a"]


def merge_made_cycle(tmp_path: Path, repo: Path, ledger: Ledger) -> tuple[Path, str, str]:
    """A clone whose ledger holds a blocking cycle that only a merge could make: each side
    added one link of it, and `bd sync` merged them."""
    first = ledger.create("First")["id"]
    second = ledger.create("Second")["id"]
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    git(clone, "update-ref", "refs/heads/beads", "refs/remotes/origin/beads")
    ledger.dep_add(first, second)
    Ledger(clone, actor="bob").dep_add(second, first)
    assert bd_run(clone, "sync", actor="bob").returncode == 0
    return clone, first, second


def test_verify_fails_on_a_cycle_a_merge_made(tmp_path: Path, repo: Path,
                                              ledger: Ledger) -> None:
    clone, first, second = merge_made_cycle(tmp_path, repo, ledger)
    result = bd_run(clone, "verify")
    assert result.returncode == 1
    assert "verify FAILED" in result.stdout and "dependency cycle:" in result.stdout
    report = json.loads(bd_run(clone, "verify", "--json").stdout)
    assert report["ok"] is False and report["first_divergence"] is None
    assert set(report["cycles"][0]) == {first, second}
    # Removing a link of the cycle makes the ledger verify again.
    assert bd_run(clone, "dep", "rm", second, first).returncode == 0
    assert bd_run(clone, "verify").returncode == 0


def test_a_cycle_already_in_the_ledger_does_not_refuse_other_lines(
        tmp_path: Path, repo: Path, ledger: Ledger) -> None:
    clone, first, _second = merge_made_cycle(tmp_path, repo, ledger)
    text = jsonl(bead("gt-new", ("blocks", first)))
    result = bd_run(clone, "import", "-", stdin=text)
    assert result.returncode == 0, result.stderr
    assert Ledger(clone).get("gt-new")["dependencies"][0]["depends_on_id"] == first

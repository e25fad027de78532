"""Beads' JSONL: importing Beads issues, exporting them back, and re-importing.

Each round-trip test runs on two data sets: a small sample written for this project
(tests/data/beads-sample.jsonl, in every clone) and 704 real issues from the Beads tracker,
shared test data kept beside the repository that skips where it is absent (tests/conftest.py).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, bd_run, git, needs_fixtures, run_bd, tip

FIXTURE = FIXTURES / "beads-issues.jsonl"
SAMPLE = Path(__file__).parent / "data" / "beads-sample.jsonl"

# The module shares a ledger per data set: its tests stay on one worker in a parallel run.
pytestmark = pytest.mark.xdist_group("jsonl")


@dataclass(frozen=True)
class DataSet:
    """A Beads JSONL file, and the line numbers the error tests break in it."""

    path: Path
    malformed_line: int
    invalid_line: int

    @cached_property
    def lines(self) -> list[str]:
        return self.path.read_text().splitlines()

    @property
    def size(self) -> int:
        return len(self.lines)


DATA_SETS = [
    pytest.param(DataSet(SAMPLE, malformed_line=12, invalid_line=17), id="sample"),
    pytest.param(DataSet(FIXTURE, malformed_line=500, invalid_line=651), id="beads-tracker",
                 marks=needs_fixtures),
]

# Beads computes these three on export. This ledger recomputes them from its own data, and
# the fixture's own values are not consistent with the records they sit on (a count that
# disagrees with the list beside it), so they are left out of the comparison.
COMPUTED_COUNTS = frozenset({"dependency_count", "dependent_count", "comment_count"})


def bd_json(repo: Path, *args: str, stdin: str | None = None) -> Any:
    result = bd_run(repo, *args, "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def records(text: str) -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    by_id = {row["id"]: row for row in rows}
    assert len(by_id) == len(rows), "ids are unique"
    return by_id


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """A record with the recomputed counts left out and dependencies as a set."""
    out = {k: v for k, v in record.items() if k not in COMPUTED_COUNTS}
    if "dependencies" in out:
        out["dependencies"] = {json.dumps(d, sort_keys=True) for d in out["dependencies"]}
    return out


def export(repo: Path) -> str:
    result = bd_run(repo, "export")
    assert result.returncode == 0, result.stderr
    return result.stdout


def _import_data(repo: Path, data: DataSet) -> None:
    assert bd_run(repo, "init", "--prefix", "bd").returncode == 0
    counts = bd_json(repo, "import", str(data.path))
    assert counts == {"schema_version": 1, "created": data.size, "updated": 0, "unchanged": 0}


@pytest.fixture(scope="module", params=DATA_SETS)
def data(request: pytest.FixtureRequest) -> DataSet:
    """The data set a round-trip test runs on."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def imported(repo: Path, data: DataSet) -> Path:
    """A `bd` ledger with the whole data set imported, for a test that changes it."""
    _import_data(repo, data)
    return repo


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, data: DataSet) -> Iterator[Path]:
    """One imported ledger for the tests that only read it (the import is the slow part)."""
    base = tmp_path_factory.mktemp("shared-import")
    with pytest.MonkeyPatch.context() as env:  # the same isolation as tests/conftest.py
        env.setenv("HOME", str(base / "home"))
        env.setenv("GIT_CONFIG_NOSYSTEM", "1")
        for who in ("AUTHOR", "COMMITTER"):
            env.setenv(f"GIT_{who}_NAME", "Test Person")
            env.setenv(f"GIT_{who}_EMAIL", "test@example.com")
        for name in ("BD_ACTOR", "BEADS_DIR", "GIT_DIR"):
            env.delenv(name, raising=False)
        repo = base / "repo"
        repo.mkdir()
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
        _import_data(repo, data)
        yield repo


@pytest.fixture(scope="module")
def shared_export(shared: Path) -> str:
    return export(shared)


@needs_fixtures
def test_fixture_is_there() -> None:
    assert FIXTURE.is_file(), f"missing shared fixture {FIXTURE.name}"
    assert len(FIXTURE.read_text().splitlines()) == 704


def _shape(text: str) -> tuple[set[str], set[str], set[str]]:
    """The field names, statuses and dependency types a JSONL text uses."""
    rows = records(text).values()
    return ({key for row in rows for key in row}, {row["status"] for row in rows},
            {dep["type"] for row in rows for dep in row.get("dependencies", [])})


def test_sample_covers_what_the_round_trip_needs() -> None:
    fields, statuses, dep_types = _shape(SAMPLE.read_text())
    assert fields >= {"id", "title", "description", "design", "notes", "status", "priority",
                      "issue_type", "assignee", "owner", "created_by", "labels",
                      "dependencies", "created_at", "updated_at", "closed_at",
                      "close_reason", "ephemeral", "pinned", "agent_state",
                      "last_activity", "hook_bead", "wisp_type", "parent", *COMPUTED_COUNTS}
    assert statuses >= {"open", "in_progress", "closed", "hooked", "pinned"}
    assert dep_types >= {"blocks", "parent-child", "discovered-from", "tracks"}


@needs_fixtures
def test_sample_has_the_shape_of_the_real_data() -> None:
    """The sample stands in for the real data where that is absent, so it keeps its shape."""
    sample_fields, sample_statuses, sample_deps = _shape(SAMPLE.read_text())
    real_fields, real_statuses, real_deps = _shape(FIXTURE.read_text())
    assert sample_fields == real_fields
    assert sample_statuses == real_statuses
    assert sample_deps == real_deps


def test_import_then_export_gives_back_every_record_field_by_field(
        data: DataSet, shared_export: str) -> None:
    original = records(data.path.read_text())
    exported = records(shared_export)
    assert set(exported) == set(original)
    for bead_id, before in original.items():
        after = exported[bead_id]
        assert set(after) == set(before), (bead_id, set(after) ^ set(before))
        want, got = comparable(before), comparable(after)
        for key in want:
            assert got[key] == want[key], (bead_id, key)


def test_export_counts_are_recomputed_consistently(shared_export: str) -> None:
    exported = records(shared_export)
    dependents: dict[str, int] = {}
    for record in exported.values():
        for dep in record.get("dependencies", []):
            dependents[dep["depends_on_id"]] = dependents.get(dep["depends_on_id"], 0) + 1
    for bead_id, record in exported.items():
        assert record["dependency_count"] == len(record.get("dependencies", []))
        assert record["comment_count"] == len(record.get("comments", []))
        assert record["dependent_count"] == dependents.get(bead_id, 0)


def test_reimport_is_a_no_op(data: DataSet, shared: Path, shared_export: str) -> None:
    before = tip(shared)
    counts = bd_json(shared, "import", str(data.path))
    assert counts == {"schema_version": 1, "created": 0, "updated": 0, "unchanged": data.size}
    assert tip(shared) == before
    # The ledger's own export re-imports as a no-op too.
    counts = bd_json(shared, "import", "-", stdin=shared_export)
    assert counts["unchanged"] == data.size and tip(shared) == before


def test_importing_a_modified_line_updates_that_bead(data: DataSet, imported: Path,
                                                     tmp_path: Path) -> None:
    lines = list(data.lines)
    index, record = next((n, json.loads(line)) for n, line in enumerate(lines)
                         if json.loads(line).get("labels") and json.loads(line)["status"] == "open")
    record["title"] = "A changed title"
    record["priority"] = (record["priority"] + 1) % 5
    record["labels"] = [*record["labels"][1:], "added-by-test"]
    record["notes"] = "new notes"
    lines[index] = json.dumps(record)
    changed = tmp_path / "changed.jsonl"
    changed.write_text("\n".join(lines) + "\n")
    before = tip(imported)
    counts = bd_json(imported, "import", str(changed))
    assert counts == {"schema_version": 1, "created": 0, "updated": 1,
                      "unchanged": data.size - 1}
    assert tip(imported) != before
    shown = bd_json(imported, "show", record["id"])
    assert shown["title"] == "A changed title"
    assert shown["priority"] == record["priority"]
    assert shown["labels"] == sorted(record["labels"])
    assert shown["notes"] == "new notes"
    after = comparable(records(export(imported))[record["id"]])
    want = comparable({**record, "labels": sorted(record["labels"])})
    # The line kept its old updated_at, so the ledger stamps the change with its own time;
    # a line that carries a new updated_at keeps it (next test).
    assert {k: v for k, v in after.items() if k != "updated_at"} == \
        {k: v for k, v in want.items() if k != "updated_at"}
    # Dropping a field in the line clears it on the bead.
    del record["notes"]
    lines[index] = json.dumps(record)
    changed.write_text("\n".join(lines) + "\n")
    assert bd_json(imported, "import", str(changed))["updated"] == 1
    assert "notes" not in bd_json(imported, "show", record["id"])
    # A line that carries a new updated_at keeps it: exporting gives the line back as it
    # was, so two clones syncing through JSONL do not rewrite each other's timestamps.
    record["title"] = "Changed elsewhere"
    record["updated_at"] = "2027-03-04T05:06:07Z"
    lines[index] = json.dumps(record)
    changed.write_text("\n".join(lines) + "\n")
    assert bd_json(imported, "import", str(changed))["updated"] == 1
    after = records(export(imported))[record["id"]]
    assert after["title"] == "Changed elsewhere"
    assert after["updated_at"] == "2027-03-04T05:06:07Z"


def test_verify_passes_after_import(data: DataSet, shared: Path) -> None:
    report = bd_json(shared, "verify")
    assert report["ok"] is True
    assert report["beads"] == data.size and report["events"] >= data.size + 1
    assert report["first_divergence"] is None and report["junk"] == []


def test_import_reads_stdin_and_reports_counts_for_people(data: DataSet, repo: Path) -> None:
    run_bd(repo, "init", "--prefix", "bd", check=True)
    text = "\n".join(data.lines[:10]) + "\n"
    result = run_bd(repo, "import", "-", stdin=text)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "imported: 10 created, 0 updated, 0 unchanged\n"


def test_malformed_line_names_it_and_imports_nothing(data: DataSet, repo: Path,
                                                     tmp_path: Path) -> None:
    run_bd(repo, "init", "--prefix", "bd", check=True)
    before = tip(repo)
    lines = list(data.lines)
    number = data.malformed_line
    lines[number - 1] = lines[number - 1][:40]
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines) + "\n")
    result = run_bd(repo, "import", str(broken))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert f"line {number}" in result.stderr and "malformed JSON" in result.stderr
    assert tip(repo) == before
    as_json = run_bd(repo, "import", str(broken), "--json")
    assert as_json.returncode == 1
    assert f"line {number}" in json.loads(as_json.stderr)["error"]
    assert bd_json(repo, "list", "--all") == []


def test_invalid_record_names_its_line_and_imports_nothing(data: DataSet, repo: Path,
                                                           tmp_path: Path) -> None:
    bd_json(repo, "init", "--prefix", "bd")
    before = tip(repo)
    lines = list(data.lines)
    number = data.invalid_line
    record = json.loads(lines[number - 1])
    record["status"] = "not-a-status"
    lines[number - 1] = json.dumps(record)
    broken = tmp_path / "invalid.jsonl"
    broken.write_text("\n".join(lines) + "\n")
    result = bd_run(repo, "import", str(broken))
    assert result.returncode == 1
    assert f"line {number}" in result.stderr and "invalid status" in result.stderr
    assert tip(repo) == before


def test_export_then_import_into_another_ledger_is_identical(data: DataSet, shared_export: str,
                                                             tmp_path: Path) -> None:
    first = shared_export
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    bd_json(other, "init", "--prefix", "bd")
    assert bd_json(other, "import", "-", stdin=first)["created"] == data.size
    assert export(other) == first


def test_small_ledger_round_trip_keeps_comments_labels_and_deps(repo: Path) -> None:
    bd_json(repo, "init", "--prefix", "gt")
    a = bd_json(repo, "create", "A", "-l", "one,two", "-d", "desc")["id"]
    b = bd_json(repo, "create", "B", "--deps", f"{a},related:{a}", "--estimate", "5")["id"]
    bd_json(repo, "comment", "add", a, "a comment")
    bd_json(repo, "close", a, "-r", "finished")
    exported = records(export(repo))
    assert exported[a]["comment_count"] == 1 and exported[a]["dependent_count"] == 2
    assert exported[b]["dependency_count"] == 2
    assert exported[a]["close_reason"] == "finished" and exported[a]["status"] == "closed"
    assert {d["type"] for d in exported[b]["dependencies"]} == {"blocks", "related"}
    assert exported[a]["comments"][0]["text"] == "a comment"
    assert "schema_version" not in exported[a]

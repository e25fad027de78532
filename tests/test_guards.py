"""The write rules in `beads.guards`: one rule for links across ledgers, and guards a batch
writer can call per record and per link without a `Ledger`."""

from __future__ import annotations

import pytest

from beads import Ledger, guards
from beads.errors import CycleError, InvalidInput, NotFound


def test_a_tracks_link_may_name_another_ledgers_bead_in_create_and_dep_add(
        ledger: Ledger) -> None:
    convoy = ledger.create("Convoy", deps=[("tracks", "rig-abc1")])
    assert [(d["type"], d["depends_on_id"]) for d in convoy["dependencies"]] == [
        ("tracks", "rig-abc1")]
    ledger.dep_add(convoy["id"], "rig-def2", "tracks")
    tracked = {d["depends_on_id"] for d in ledger.get(convoy["id"])["dependencies"]}
    assert tracked == {"rig-abc1", "rig-def2"}


def test_only_a_tracks_link_may_leave_the_ledger(ledger: Ledger) -> None:
    bead = ledger.create("Local")
    with pytest.raises(NotFound):
        ledger.create("Blocked", deps=[("blocks", "rig-abc1")])
    with pytest.raises(NotFound):
        ledger.dep_add(bead["id"], "rig-abc1", "blocks")


def test_a_tracks_link_to_this_ledgers_prefix_must_name_a_live_bead(ledger: Ledger) -> None:
    bead = ledger.create("Convoy")
    with pytest.raises(NotFound):
        ledger.create("Convoy 2", deps=[("tracks", "gt-zzzz9")])
    with pytest.raises(NotFound):
        ledger.dep_add(bead["id"], "gt-zzzz9", "tracks")


def test_a_foreign_target_is_still_checked_for_form(ledger: Ledger) -> None:
    with pytest.raises(InvalidInput):
        ledger.create("Convoy", deps=[("tracks", "rig/../x")])


@pytest.mark.parametrize(("dep_type", "target", "new_ids", "foreign"), [
    ("tracks", "rig-abc1", set(), True),
    ("tracks", "gt-abc1", set(), False),
    ("tracks", "rig-abc1", {"rig-abc1"}, False),
    ("blocks", "rig-abc1", set(), False),
    ("related", "external:proj:x-1", set(), False),
])
def test_is_foreign(dep_type: str, target: str, new_ids: set[str], foreign: bool) -> None:
    assert guards.is_foreign(dep_type, target, "gt", new_ids) is foreign


def test_link_target_asks_the_prefix_only_for_a_tracks_link() -> None:
    asked: list[str] = []

    def prefix() -> str:
        asked.append("prefix")
        return "gt"

    assert guards.link_target("blocks", "gt-ab", prefix, lambda p: p + "cd") == "gt-abcd"
    assert asked == []
    assert guards.link_target("tracks", "rig-ab", prefix, lambda p: "never") == "rig-ab"
    assert guards.link_target("tracks", "gt-ab", prefix, lambda p: p + "cd") == "gt-abcd"
    assert asked == ["prefix", "prefix"]


def test_cycle_guards_take_a_batch_graph_without_a_ledger() -> None:
    # A batch writer adds the links it planned so far to the graph and asks per link.
    graph = {"gt-a": ["gt-b"], "gt-b": ["gt-c"]}
    guards.check_no_blocking_cycle("gt-a", "gt-c", graph)
    with pytest.raises(CycleError, match="would close a dependency cycle"):
        guards.check_no_blocking_cycle("gt-c", "gt-a", graph)
    parents = {"gt-a.1": "gt-a", "gt-a.1.1": "gt-a.1"}
    guards.check_not_own_ancestor("gt-b", "gt-a.1.1", parents.get)
    with pytest.raises(CycleError, match="its own ancestor"):
        guards.check_not_own_ancestor("gt-a", "gt-a.1.1", parents.get)
    with pytest.raises(CycleError, match="cannot depend on itself"):
        guards.check_not_self("gt-a", "gt-a")


def test_fields_only_the_ledger_sets_are_refused_by_command() -> None:
    assert guards.check_settable("created_by", "create") == "created_by"
    with pytest.raises(InvalidInput, match="created_by is set by the ledger, not by update"):
        guards.check_settable("created_by", "update")
    with pytest.raises(InvalidInput, match="closed_at is set by the ledger, not by create"):
        guards.check_settable("closed_at", "create")

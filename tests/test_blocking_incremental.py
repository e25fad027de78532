"""The `held` table a cache transaction brings up to date equals a full recompute.

Random sequences of changes go through the real cache API (`Cache.put`, `Cache.remove`,
`Cache.clear_layer` in `Cache.transaction`, on a real sqlite file) and through real ledger
writes in a git repository; after every transaction the stored table must equal what
`blocking.compute` derives from the rows, reasons in the same order.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from beads import Ledger, blocking
from beads.cache import COMMITTED, WISP, Cache
from beads.errors import BeadsError
from tests.conftest import git

IDS = [f"t-{n}" for n in range(4)]
LINKS = ["blocks", "conditional-blocks", "waits-for", "related"]
STATUSES = ["open", "in_progress", "closed", "closed", None]
GATES = [None, {"gate": "all"}, {"gate": "any"}, {"gate": "some"}]

bead = st.sampled_from(IDS)
create = st.tuples(st.just("create"), bead, st.sampled_from(STATUSES), st.booleans(),
                   st.one_of(st.none(), bead))
status = st.tuples(st.just("status"), bead, st.sampled_from(STATUSES), st.booleans())
link = st.tuples(st.just("link"), bead, bead, st.sampled_from(LINKS), st.sampled_from(GATES))
parent = st.tuples(st.just("parent"), bead, st.one_of(st.none(), bead))
change = st.one_of(
    create, status, link, parent,
    st.tuples(st.just("unlink"), bead, st.integers(0, 3)),
    st.tuples(st.just("type"), bead, st.sampled_from(["task", "epic", "molecule"])),
    st.tuples(st.just("remove"), bead),
    st.tuples(st.just("wisp"), bead),
    st.tuples(st.just("clear wisps")),
)


def stored_equals_compute(db: Any) -> None:
    assert blocking.stored(db) == blocking.compute(db)


def apply(docs: dict[str, dict[str, Any]], db: Any, step: tuple[Any, ...]) -> None:
    """Change the model documents as `step` says and write the result to the cache."""
    kind, *args = step
    if kind == "clear wisps":
        Cache.clear_layer(db, WISP)
        for bead_id in [b for b, doc in docs.items() if doc["_layer"] == WISP]:
            del docs[bead_id]
        return
    bead_id = args[0]
    if kind == "create":
        status, failed, parent = args[1:]
        docs[bead_id] = {"id": bead_id, "status": status, "close_failed": failed,
                         "issue_type": "task", "dependencies": [], "_layer": COMMITTED}
        if parent is not None:
            docs[bead_id]["dependencies"].append(
                {"depends_on_id": parent, "type": "parent-child"})
    elif bead_id not in docs:
        return
    doc = docs[bead_id]
    if kind == "status":
        doc["status"], doc["close_failed"] = args[1], args[2]
    elif kind == "link":
        target, link, gate = args[1:]
        dep: dict[str, Any] = {"depends_on_id": target, "type": link}
        if link == "waits-for" and gate is not None:
            dep["metadata"] = gate
        doc["dependencies"].append(dep)
    elif kind == "unlink":
        if doc["dependencies"]:
            del doc["dependencies"][args[1] % len(doc["dependencies"])]
    elif kind == "parent":
        deps = [d for d in doc["dependencies"] if d["type"] != "parent-child"]
        if args[1] is not None:
            deps.insert(0, {"depends_on_id": args[1], "type": "parent-child"})
        doc["dependencies"] = deps
    elif kind == "type":
        doc["issue_type"] = args[1]
    elif kind == "remove":
        Cache.remove(db, bead_id, doc["_layer"])
        del docs[bead_id]
        return
    elif kind == "wisp":
        Cache.remove(db, bead_id, doc["_layer"])
        doc["_layer"] = WISP
    Cache.put(db, [{k: v for k, v in doc.items() if k != "_layer"}], doc["_layer"])


class CacheChanges(RuleBasedStateMachine):
    """Each rule is one cache transaction; after each, `held` must equal a full recompute."""

    def __init__(self) -> None:
        super().__init__()
        self.state = tempfile.TemporaryDirectory()
        self.cache = Cache(Path(self.state.name))
        self.docs: dict[str, dict[str, Any]] = {}

    def write(self, *steps: tuple[Any, ...]) -> None:
        with self.cache.transaction() as db:
            for step in steps:
                apply(self.docs, db, step)

    @rule(step=create)
    def create(self, step: tuple[Any, ...]) -> None:
        self.write(step)

    @rule(step=status)
    def set_status(self, step: tuple[Any, ...]) -> None:
        self.write(step)

    @rule(step=link)
    def add_link(self, step: tuple[Any, ...]) -> None:
        self.write(step)

    @rule(step=parent)
    def set_parent(self, step: tuple[Any, ...]) -> None:
        self.write(step)

    @rule(steps=st.lists(change, min_size=2, max_size=4))
    def several_at_once(self, steps: list[tuple[Any, ...]]) -> None:
        self.write(*steps)

    @rule(step=change)
    def any_change(self, step: tuple[Any, ...]) -> None:
        self.write(step)

    @invariant()
    def held_equals_a_full_recompute(self) -> None:
        stored_equals_compute(self.cache.db)

    def teardown(self) -> None:
        self.cache.db.close()
        self.state.cleanup()


CacheChanges.TestCase.settings = settings(max_examples=200, stateful_step_count=50,
                                          deadline=None)
test_cache_transactions_keep_held_equal_to_a_full_recompute = CacheChanges.TestCase


def test_a_parent_cycle_stops_holding_itself_once_its_hold_is_gone(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    docs: dict[str, dict[str, Any]] = {}
    steps = [("create", "t-0", "open", False, "t-1"), ("create", "t-1", "open", False, "t-0"),
             ("create", "t-2", "open", False, None), ("link", "t-0", "t-2", "blocks", None)]
    with cache.transaction() as db:
        for step in steps:
            apply(docs, db, step)
    assert set(blocking.stored(cache.db)) == {"t-0", "t-1"}
    with cache.transaction() as db:
        apply(docs, db, ("status", "t-2", "closed", False))
    assert blocking.stored(cache.db) == {}
    stored_equals_compute(cache.db)


def test_a_child_changing_reaches_what_waits_for_its_parent(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    docs: dict[str, dict[str, Any]] = {}
    for step in [("create", "t-0", "open", False, None),
                 ("link", "t-0", "t-1", "waits-for", {"gate": "any"}),
                 ("create", "t-2", "open", False, "t-1"),
                 ("create", "t-3", "open", False, "t-0")]:
        with cache.transaction() as db:
            apply(docs, db, step)
    assert blocking.stored(cache.db) == {
        "t-0": [("t-1", "waits for any children")], "t-3": [("t-0", "parent blocked")]}
    with cache.transaction() as db:
        apply(docs, db, ("status", "t-2", "closed", False))
    assert blocking.stored(cache.db) == {}
    stored_equals_compute(cache.db)


def test_a_large_change_recomputes_the_whole_table(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    count = blocking.WHOLE_AFTER + 10
    with cache.transaction() as db:
        Cache.put(db, [{"id": f"t-{n}", "status": "open", "dependencies": [
            {"depends_on_id": f"t-{n + 1}", "type": "blocks"}]} for n in range(count)],
            COMMITTED)
    assert len(blocking.stored(cache.db)) == count - 1
    stored_equals_compute(cache.db)


def new_ledger(root: Path) -> Ledger:
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "initial")
    return Ledger.init(repo, "gt", actor="alice")


ledger_step = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("start"), st.integers(0, 5)),
    st.tuples(st.just("close"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("reopen"), st.integers(0, 5)),
    st.tuples(st.just("link"), st.integers(0, 5), st.integers(0, 5),
              st.sampled_from(["blocks", "conditional-blocks", "waits-for", "parent-child"]),
              st.sampled_from(["all", "any"])),
    st.tuples(st.just("unlink"), st.integers(0, 5), st.integers(0, 5)),
)


def ledger_write(ledger: Ledger, made: list[str], step: tuple[Any, ...]) -> None:
    kind, *args = step
    if kind == "create":
        parent = made[args[0] % len(made)] if args[1] and made else None
        made.append(ledger.create(f"bead {len(made)}", parent=parent)["id"])
        return
    if not made:
        return
    one = made[args[0] % len(made)]
    if kind == "start":
        ledger.update(one, {"status": "in_progress"})
    elif kind == "close":
        ledger.close([one], failed=args[1], force=True)
    elif kind == "reopen":
        ledger.reopen([one])
    elif kind == "link":
        other, link, gate = made[args[1] % len(made)], args[2], args[3]
        ledger.dep_add(one, other, link, {"gate": gate} if link == "waits-for" else None)
    elif kind == "unlink":
        ledger.dep_remove(one, made[args[1] % len(made)])


@settings(max_examples=15, deadline=None)
@given(st.lists(ledger_step, min_size=1, max_size=14))
def test_ledger_writes_keep_held_equal_to_a_full_recompute(
        steps: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as root:
        ledger = new_ledger(Path(root))
        made: list[str] = []
        for step in steps:
            with contextlib.suppress(BeadsError):  # a write the ledger refuses changes nothing
                ledger_write(ledger, made, step)
            stored_equals_compute(ledger.db())

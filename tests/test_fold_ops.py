"""The op table: every op an event may carry has one handler, and no other op is accepted."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from beads import Ledger, canonical, fold, replay
from beads.errors import StorageError
from beads.events import OPS, TRAILER, Event, make_event, parse_message
from tests.conftest import BD, git

TS = "2025-01-01T00:00:00Z"


def ops_on_the_branch(repo: Path) -> set[str]:
    log = git(repo, "log", "--format=%B%x00", "beads")
    return {event.op for message in log.split("\x00") for event in parse_message(message)}


def test_the_valid_ops_are_exactly_the_ops_with_a_handler() -> None:
    assert not fold.BEAD_OPS.keys() & fold.LEDGER_OPS.keys()
    assert fold.BEAD_OPS.keys() | fold.LEDGER_OPS.keys() == OPS
    assert all(callable(handler) for handler in [*fold.BEAD_OPS.values(),
                                                 *fold.LEDGER_OPS.values()])


def test_the_api_writes_every_op_and_only_ops_with_a_handler(ledger: Ledger,
                                                             repo: Path) -> None:
    epic = ledger.create("Epic", labels=["one"])
    task = ledger.create("Task")
    ledger.update(task["id"], {"title": "Task, renamed"})
    ledger.claim(task["id"])
    ledger.label_add([task["id"]], "two")
    ledger.label_remove([task["id"]], "two")
    ledger.dep_add(task["id"], epic["id"], "related")
    ledger.dep_remove(task["id"], epic["id"])
    ledger.comment(task["id"], "a note")
    ledger.close([task["id"]])
    ledger.reopen([task["id"]])
    ledger.delete([task["id"]])
    ledger.config_set("types.custom", "x")
    assert ops_on_the_branch(repo) == OPS


@pytest.mark.parametrize("op", sorted(fold.BEAD_OPS))
def test_every_bead_op_folds_through_its_handler(op: str) -> None:
    data = {"create": {"fields": {"title": "t"}}, "update": {"set": {"title": "u"}},
            "claim": {"assignee": "bob"}, "close": {"reason": "done"}, "reopen": {},
            "delete": {}, "label.add": {"label": "x"}, "label.rm": {"label": "x"},
            "dep.add": {"type": "blocks", "target": "gt-b"},
            "dep.rm": {"type": "blocks", "target": "gt-b"},
            "comment.add": {"text": "hi"}}[op]
    base = fold.apply(None, make_event("create", "gt-a", "alice", TS, 1,
                                       {"fields": {"title": "t"}, "labels": ["x"],
                                        "deps": [{"type": "blocks", "target": "gt-b"}]}))
    after = fold.apply(base, make_event(op, "gt-a", "bob", "2025-01-02T00:00:00Z", 2, data))
    assert after != base
    assert after["updated_at"] == "2025-01-02T00:00:00Z"


def test_ledger_ops_change_meta_and_config_not_beads() -> None:
    events = [make_event("init", "", "alice", TS, 1, {"prefix": "gt"}),
              make_event("config.set", "", "alice", TS, 2, {"key": "k", "value": 7})]
    batch = replay.fold_batch(lambda _: None, replay.empty_meta(), replay.empty_config(),
                              events)
    assert batch.meta["prefix"] == "gt" and batch.meta["lamport"] == 2
    assert batch.config["values"] == {"k": 7}
    assert batch.docs == {}


@pytest.mark.parametrize("op", ["bogus", "init", "config.set"])
def test_fold_refuses_an_op_that_is_not_a_bead_op(op: str) -> None:
    event = Event(op=op, bead="gt-a", actor="alice", ts=TS, lamport=1)
    refusal = re.escape(f"{op!r} is not an op on a bead: use one of ")
    with pytest.raises(StorageError, match=refusal):
        fold.apply(None, event)


def test_an_unknown_op_in_a_trailer_is_refused_by_name() -> None:
    raw = {"op": "label.burn", "bead": "gt-a", "actor": "alice", "ts": TS, "lamport": 1}
    with pytest.raises(StorageError, match=re.escape("unknown event op 'label.burn'")):
        Event.from_dict(raw)
    message = f"hand-made\n\n{TRAILER}{canonical.dumps(raw).decode()}\n"
    with pytest.raises(StorageError, match=re.escape("unknown event op 'label.burn'")):
        parse_message(message)


def test_bd_reports_an_unknown_op_on_the_branch_in_one_line(ledger: Ledger,
                                                            repo: Path) -> None:
    bead = ledger.create("Target")
    raw = {"op": "label.burn", "bead": bead["id"], "actor": "mallory", "ts": TS,
           "lamport": 99, "data": {}}
    tree = git(repo, "rev-parse", "beads^{tree}").strip()
    commit = git(repo, "commit-tree", tree, "-p", "beads", "-m",
                 f"hand-made\n\n{TRAILER}{canonical.dumps(raw).decode()}").strip()
    git(repo, "update-ref", "refs/heads/beads", commit)
    done = subprocess.run([*BD, "history", bead["id"]], cwd=repo, capture_output=True,
                          text=True, check=False)
    assert done.returncode != 0
    assert "unknown event op 'label.burn'" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1

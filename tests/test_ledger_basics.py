"""The ledger's core through its Python API: create, update, claim, close, deps, storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from beads import Ledger
from beads.errors import AlreadyClaimed, CycleError, GuardError, InvalidInput, NotFound
from tests.conftest import git


def test_init_creates_beads_branch_without_touching_work_tree(repo: Path) -> None:
    head_before = git(repo, "rev-parse", "HEAD")
    Ledger.init(repo, "gt", actor="alice")
    assert git(repo, "rev-parse", "HEAD") == head_before
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert "meta.json" in git(repo, "ls-tree", "--name-only", "beads")


def test_init_twice_keeps_ledger_and_refuses_other_prefix(ledger: Ledger, repo: Path) -> None:
    tip = git(repo, "rev-parse", "beads")
    Ledger.init(repo, "gt")
    assert git(repo, "rev-parse", "beads") == tip
    with pytest.raises(InvalidInput):
        Ledger.init(repo, "xx")


def test_one_commit_per_action_authored_by_actor(ledger: Ledger, repo: Path) -> None:
    bead = ledger.create("First", priority=1)
    Ledger(repo, actor="bob").update(bead["id"], {"title": "Renamed"})
    log = git(repo, "log", "--format=%an|%s", "beads").splitlines()
    assert log[0] == f"bob|update {bead['id']}"
    assert log[1] == "alice|create First"
    assert git(repo, "log", "--author=bob", "--format=%s", "beads").strip() == \
        f"update {bead['id']}"


def test_sharded_tree_layout(ledger: Ledger, repo: Path) -> None:
    bead = ledger.create("Sharded")
    suffix = bead["id"].split("-", 1)[1]
    files = git(repo, "ls-tree", "-r", "--name-only", "beads").split()
    assert f"issues/{suffix[:2]}/{bead['id']}.json" in files


def test_hostile_title_is_stored_exactly_and_message_stays_well_formed(
        ledger: Ledger, repo: Path) -> None:
    title = "x; rm -rf ~ $(id) `id`\nsecond line\x1b[31m red \u2028 sep\x9b"
    bead = ledger.create(title)
    assert ledger.get(bead["id"])["title"] == title
    message = git(repo, "log", "-1", "--format=%B", "beads")
    summary, blank, *trailers = message.rstrip("\n").split("\n")
    assert blank == ""
    assert "\n" not in summary and "\x1b" not in summary
    assert all(t.startswith("Bead-Event: ") for t in trailers)
    assert "\x1b" not in message and "\u2028" not in message and "\x9b" not in message


def test_ready_blocked_and_close_guards(ledger: Ledger) -> None:
    blocker = ledger.create("Blocker")
    work = ledger.create("Work", deps=[("blocks", blocker["id"])])
    assert [b["id"] for b in ledger.ready()] == [blocker["id"]]
    assert ledger.blocked()[0]["blocked_by"] == [{"id": blocker["id"], "reason": "blocks"}]
    with pytest.raises(GuardError, match="blocked by open"):
        ledger.close([work["id"]])
    ledger.close([blocker["id"]], reason="done")
    assert [b["id"] for b in ledger.ready()] == [work["id"]]
    closed = ledger.get(blocker["id"])
    assert closed["status"] == "closed" and closed["closed_at"] and closed["close_reason"] == "done"
    reopened = ledger.reopen([blocker["id"]])[0]
    assert reopened["status"] == "open" and "closed_at" not in reopened


def test_blocking_flows_down_parent_chain(ledger: Ledger) -> None:
    gate = ledger.create("Gate")
    epic = ledger.create("Epic", issue_type="epic", deps=[("blocks", gate["id"])])
    child = ledger.create("Child", parent=epic["id"])
    grandchild = ledger.create("Grandchild", parent=child["id"])
    assert child["id"] == f"{epic['id']}.1"
    assert grandchild["id"] == f"{epic['id']}.1.1"
    blocked = {b["id"] for b in ledger.blocked()}
    assert {epic["id"], child["id"], grandchild["id"]} <= blocked
    assert [b["id"] for b in ledger.ready()] == [gate["id"]]
    ledger.close([gate["id"]])
    with pytest.raises(GuardError, match="open children"):
        ledger.close([epic["id"]])


def test_conditional_blocks_releases_only_on_failure(ledger: Ledger) -> None:
    attempt = ledger.create("Try the fast path")
    fallback = ledger.create("Fallback", deps=[("conditional-blocks", attempt["id"])])
    ledger.close([attempt["id"]])
    assert fallback["id"] not in [b["id"] for b in ledger.ready()]
    ledger.reopen([attempt["id"]])
    ledger.close([attempt["id"]], failed=True)
    assert fallback["id"] in [b["id"] for b in ledger.ready()]


def test_waits_for_all_and_any_children(ledger: Ledger) -> None:
    fanout = ledger.create("Fan out", issue_type="epic")
    kids = [ledger.create(f"kid {n}", parent=fanout["id"]) for n in range(2)]
    join_all = ledger.create("Join all")
    join_any = ledger.create("Join any")
    ledger.dep_add(join_all["id"], fanout["id"], "waits-for")
    ledger.dep_add(join_any["id"], fanout["id"], "waits-for", {"gate": "any"})
    ready = {b["id"] for b in ledger.ready()}
    assert join_all["id"] not in ready and join_any["id"] not in ready
    ledger.close([kids[0]["id"]])
    ready = {b["id"] for b in ledger.ready()}
    assert join_any["id"] in ready and join_all["id"] not in ready
    ledger.close([kids[1]["id"]])
    assert join_all["id"] in {b["id"] for b in ledger.ready()}


def test_cycle_refused(ledger: Ledger) -> None:
    a, b, c = (ledger.create(t) for t in "abc")
    ledger.dep_add(a["id"], b["id"])
    ledger.dep_add(b["id"], c["id"])
    with pytest.raises(CycleError):
        ledger.dep_add(c["id"], a["id"])
    with pytest.raises(CycleError):
        ledger.dep_add(a["id"], a["id"])


def test_claim_is_exclusive(ledger: Ledger, repo: Path) -> None:
    bead = ledger.create("Contested")
    claimed = ledger.claim(bead["id"])
    assert claimed["assignee"] == "alice" and claimed["status"] == "in_progress"
    assert claimed["started_at"]
    with pytest.raises(AlreadyClaimed, match="already claimed by alice"):
        Ledger(repo, actor="bob").claim(bead["id"])


def test_partial_ids_and_ambiguity(ledger: Ledger) -> None:
    beads = [ledger.create(f"bead {n}", bead_id=f"gt-ab{n}x") for n in range(2)]
    assert ledger.resolve("ab0") == beads[0]["id"]
    assert ledger.resolve("gt-ab1") == beads[1]["id"]
    with pytest.raises(Exception, match="ambiguous: gt-ab0x, gt-ab1x"):
        ledger.resolve("ab")
    with pytest.raises(NotFound):
        ledger.resolve("zzz")


@pytest.mark.parametrize("bad", ["../x", "a/b", "a b", "a\nb", "a..b", ".x", "x\x1b"])
def test_path_like_ids_refused(ledger: Ledger, bad: str) -> None:
    with pytest.raises(InvalidInput):
        ledger.create("t", bead_id=bad)
    with pytest.raises(InvalidInput):
        ledger.resolve(bad)


def test_invalid_values_write_nothing(ledger: Ledger, repo: Path) -> None:
    tip = git(repo, "rev-parse", "beads")
    for kwargs in ({"priority": 7}, {"issue_type": "nope"}, {"status": "weird"}):
        with pytest.raises(InvalidInput):
            ledger.create("t", **kwargs)
    with pytest.raises(InvalidInput, match="limit is 500"):
        ledger.create("x" * 501)
    with pytest.raises(NotFound):
        ledger.create("t", deps=[("blocks", "gt-missing")])
    assert git(repo, "rev-parse", "beads") == tip


def test_custom_status_and_type_from_config(ledger: Ledger) -> None:
    ledger.config_set("status.custom", "review")
    ledger.config_set("types.custom", "spike")
    bead = ledger.create("Spike it", issue_type="spike")
    assert ledger.update(bead["id"], {"status": "review"})["status"] == "review"


def test_labels_comments_notes(ledger: Ledger) -> None:
    bead = ledger.create("Labelled", labels=["a"])
    ledger.label_add([bead["id"]], "b")
    ledger.label_remove([bead["id"]], "a")
    ledger.comment(bead["id"], "first comment")
    ledger.update(bead["id"], append_notes="one")
    updated = ledger.update(bead["id"], append_notes="two")
    assert updated["labels"] == ["b"]
    assert updated["notes"] == "one\ntwo"
    assert [c["text"] for c in updated["comments"]] == ["first comment"]


def test_delete_leaves_tombstone_and_hides_bead(ledger: Ledger, repo: Path) -> None:
    bead = ledger.create("Doomed")
    other = ledger.create("Depends", deps=[("blocks", bead["id"])])
    with pytest.raises(GuardError):
        ledger.delete([bead["id"]])
    ledger.delete([bead["id"]], force=True)
    with pytest.raises(NotFound):
        ledger.get(bead["id"])
    assert other["id"] in [b["id"] for b in ledger.ready()]
    shown = git(repo, "show", f"beads:issues/{bead['id'][3:5]}/{bead['id']}.json")
    assert '"deleted": true' in shown


def test_history_and_as_of(ledger: Ledger, repo: Path) -> None:
    bead = ledger.create("Old title")
    first = git(repo, "rev-parse", "beads").strip()
    ledger.update(bead["id"], {"title": "New title"})
    ledger.close([bead["id"]])
    ops = [e["op"] for e in ledger.history(bead["id"])]
    assert ops == ["create", "update", "close"]
    assert ledger.show(bead["id"], as_of=first)["title"] == "Old title"
    assert ledger.show(bead["id"], as_of="beads~1")["title"] == "New title"

"""`bd verify`: replay every event from the root and check each commit's tree against it.

Each commit's events are folded onto the replayed state; then every path that the commit
changed, or that its events should have changed, must hold exactly the replayed bytes. The
first commit where they differ is named. At the end the whole tip tree is compared with the
replayed state, so junk files committed by hand are listed too. `verify_new` checks only the
commits a push adds, each against its parents (the remote's pre-receive check, and `bd
sync`'s check of a fetched ledger before it merges it). Both also check what replay cannot
(`beads.provenance`): each event's actor is the commit's author, and no event's clock runs
ahead of its parent's by more than the commit's number of events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pygit2

from beads import canonical, ledgerref, provenance, query, replay, treediff
from beads.errors import StorageError
from beads.events import one_line, parse_message
from beads.ids import bead_path
from beads.treemerge import merged_tree


@dataclass
class Report:
    commits: int = 0
    events: int = 0
    beads: int = 0
    first_divergence: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    junk: list[str] = field(default_factory=list)
    cycles: list[list[str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing wrong: no divergence, problem or junk, and no cycle of blocking links
        (a merge can make one; the beads on it would never become ready)."""
        return (self.first_divergence is None and not self.problems and not self.junk
                and not self.cycles)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "commits": self.commits, "events": self.events,
                "beads": self.beads, "first_divergence": self.first_divergence,
                "problems": self.problems, "junk": self.junk, "cycles": self.cycles}


LAYOUT = ("issues", replay.META_PATH, replay.CONFIG_PATH)


def _blob(repo: pygit2.Repository, tree: pygit2.Tree, path: str) -> bytes | None:
    """The file's bytes; None if absent; a marker (never equal to a blob) for a directory."""
    try:
        obj = repo[tree[path].id]
    except KeyError:
        return None
    return obj.data if isinstance(obj, pygit2.Blob) else b"\0<tree>"


def verify(repo: pygit2.Repository, db: Any = None, progress: Any = None,
           tip: pygit2.Oid | None = None) -> Report:
    """Check the ledger at `tip` (default: the beads branch)."""
    report = Report()
    if tip is None:
        tip = ledgerref.tip(repo)
        if tip is None:
            report.problems.append("no beads branch")
            return report
    chain = []
    commit = repo[tip]
    while True:
        chain.append(commit)
        if not commit.parents:
            break
        commit = commit.parents[0]
    chain.reverse()
    state: dict[str, bytes] = {}
    meta, config = replay.empty_meta(), replay.empty_config()
    previous: pygit2.Tree | None = None
    for number, commit in enumerate(chain, start=1):
        report.commits += 1
        if len(commit.parents) > 1:
            meta, config = _check_merge(repo, commit, previous, state, report)
            previous = commit.tree
            continue
        try:
            events = parse_message(commit.message)
        except StorageError as exc:
            report.problems.append(f"commit {str(commit.id)[:10]}: {exc.message}")
            events = []
        report.events += len(events)
        distrust = provenance.event_problem(commit, events, meta["lamport"])
        expected: dict[str, bytes | None] = {}
        if events:
            batch = replay.fold_batch(
                lambda i: canonical.loads(state[p]) if (p := bead_path(i)) in state else None,
                meta, config, events)
            meta, config = batch.meta, batch.config
            expected = batch.changes()
            state.update({p: b for p, b in expected.items() if b is not None})
        diverged = _diverged(repo, commit, previous, expected.keys(), state.get)
        if diverged and report.first_divergence is None:
            report.first_divergence = _divergence(commit, _replay_reason(bool(events)), diverged)
        elif distrust and report.first_divergence is None:
            report.first_divergence = _divergence(commit, distrust)
        previous = commit.tree
        if progress is not None and number % 1000 == 0:
            progress(number, len(chain))
    if previous is not None:
        _compare_tip(repo, previous, state, report)
    if db is not None:
        report.cycles = query.find_cycles(query.blocking_edges(db))
    return report


def _touched(repo: pygit2.Repository, previous: pygit2.Tree | None,
             tree: pygit2.Tree) -> set[str]:
    """Every path of the ledger that differs between the two trees, junk included."""
    touched = {p for p, _ in treediff.changed_files(repo, previous, tree)}
    for top in (replay.META_PATH, replay.CONFIG_PATH):
        if previous is None or _blob(repo, previous, top) != _blob(repo, tree, top):
            touched.add(top)
    before = treediff.other_entries(repo, previous, LAYOUT)
    after = treediff.other_entries(repo, tree, LAYOUT)
    return touched | {path for path in before.keys() | after.keys()
                      if before.get(path) != after.get(path)}


def _diverged(repo: pygit2.Repository, commit: pygit2.Commit, previous: pygit2.Tree | None,
              replayed: Iterable[str], expect: Callable[[str], bytes | None]) -> list[str]:
    """The paths where `commit`'s tree is not what replay expects (`expect(path)`), looking
    at every path the commit changed and every path its events should have changed."""
    tree = commit.tree
    return sorted(p for p in _touched(repo, previous, tree) | set(replayed)
                  if _blob(repo, tree, p) != expect(p))


OCTOPUS = "a ledger merge has two parents, not more"
NOT_THE_MERGE = "the merge commit's tree is not the merge of its parents"


def _divergence(commit: pygit2.Commit, reason: str, paths: list[str] | None = None
                ) -> dict[str, Any]:
    return {"commit": str(commit.id), "summary": commit.message.split("\n", 1)[0],
            "author": provenance.author(commit), "paths": (paths or [])[:20], "reason": reason}


def first_failure(report: Report) -> str | None:
    """The first thing wrong with the commits a report covers, as one line naming the commit,
    its author and what is wrong; None when they are right."""
    if report.problems:
        return report.problems[0]
    where = report.first_divergence
    if where is None:
        return None
    return (f"commit {where['commit'][:10]} by {where['author']} "
            f"({one_line(where['summary'])}): {where['reason']}")


def _replay_reason(has_events: bool) -> str:
    return ("the tree differs from the replay of the events" if has_events
            else "the commit changes the ledger without recording an event")


def _tree_json(repo: pygit2.Repository, tree: pygit2.Tree | None, path: str, empty: Any) -> Any:
    data = _blob(repo, tree, path) if tree is not None else None
    return canonical.loads(data) if data else empty


def verify_new(repo: pygit2.Repository, old: pygit2.Oid | None, new: pygit2.Oid) -> Report:
    """Check only the commits that `new` adds to `old` (already checked), each against its
    own parents: a commit's events folded onto its parent's tree must give its tree, and a
    merge commit's tree must be the merge of its parents. By induction from a checked `old`,
    this proves what a full `verify` of `new` would, in time proportional to the new
    commits."""
    report = Report()
    walker = repo.walk(new, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE)
    if old is not None:
        walker.hide(old)
    for commit in walker:
        report.commits += 1
        if len(commit.parents) > 2:
            report.first_divergence = _divergence(commit, OCTOPUS)
            return report
        if len(commit.parents) == 2:
            if merged_tree(repo, commit.parents[0].id, commit.parents[1].id) != commit.tree.id:
                report.first_divergence = _divergence(commit, NOT_THE_MERGE)
                return report
            continue
        previous = commit.parents[0].tree if commit.parents else None
        try:
            events = parse_message(commit.message)
        except StorageError as exc:
            report.problems.append(f"commit {str(commit.id)[:10]} by "
                                   f"{provenance.author(commit)} carries a malformed event: "
                                   f"{exc.message}")
            return report
        report.events += len(events)
        meta = _tree_json(repo, previous, replay.META_PATH, replay.empty_meta())
        expected: dict[str, bytes | None] = {}
        if events:
            expected = replay.fold_batch(
                lambda i, t=previous: (canonical.loads(b) if (b := _tree_blob(repo, t, i))
                                       else None),
                meta, _tree_json(repo, previous, replay.CONFIG_PATH, replay.empty_config()),
                events).changes()

        def expect(path: str, previous: pygit2.Tree | None = previous,
                   expected: dict[str, bytes | None] = expected) -> bytes | None:
            if path in expected:
                return expected[path]
            if path.split("/", 1)[0] not in LAYOUT or previous is None:
                return None
            return _blob(repo, previous, path)

        diverged = _diverged(repo, commit, previous, expected.keys(), expect)
        if diverged:
            report.first_divergence = _divergence(commit, _replay_reason(bool(events)), diverged)
            return report
        distrust = provenance.event_problem(commit, events, meta["lamport"])
        if distrust:
            report.first_divergence = _divergence(commit, distrust)
            return report
    return report


def _tree_blob(repo: pygit2.Repository, tree: pygit2.Tree | None, bead_id: str) -> bytes | None:
    return _blob(repo, tree, bead_path(bead_id)) if tree is not None else None


def _check_merge(repo: pygit2.Repository, commit: pygit2.Commit, previous: pygit2.Tree | None,
                 state: dict[str, bytes], report: Report) -> tuple[dict[str, Any], dict[str, Any]]:
    """A merge commit's tree must be the deterministic merge of its parents, and the commits it
    brings in (the second parent's side) must each be right against their own parents; replay
    then goes on from it."""
    side = verify_new(repo, commit.parents[0].id, commit.parents[1].id)
    report.commits += side.commits
    report.events += side.events
    report.problems += side.problems
    if report.first_divergence is None:
        report.first_divergence = side.first_divergence
    expected = merged_tree(repo, commit.parents[0].id, commit.parents[1].id)
    if report.first_divergence is None and len(commit.parents) > 2:
        report.first_divergence = _divergence(commit, OCTOPUS)
    if expected != commit.tree.id and report.first_divergence is None:
        report.first_divergence = _divergence(commit, NOT_THE_MERGE)
    for path, _oid in treediff.changed_files(repo, previous, commit.tree):
        data = _blob(repo, commit.tree, path)
        if data is not None:
            state[path] = data
    for top in (replay.META_PATH, replay.CONFIG_PATH):
        data = _blob(repo, commit.tree, top)
        if data is not None:
            state[top] = data
    meta = canonical.loads(_blob(repo, commit.tree, replay.META_PATH) or b"null") \
        or replay.empty_meta()
    config = canonical.loads(_blob(repo, commit.tree, replay.CONFIG_PATH) or b"null") \
        or replay.empty_config()
    return meta, config


def _compare_tip(repo: pygit2.Repository, tip_tree: pygit2.Tree, state: dict[str, bytes],
                 report: Report) -> None:
    found = set()
    for path in sorted(treediff.other_entries(repo, tip_tree, LAYOUT)):
        report.junk.append(f"{path}: not part of the ledger's layout")
    for path, _oid in treediff.changed_files(repo, None, tip_tree):
        found.add(path)
        if path not in state:
            report.junk.append(f"{path}: no event created it")
        elif _blob(repo, tip_tree, path) != state[path]:
            report.junk.append(f"{path}: differs from the replay of its events")
    missing = sorted(p for p in state if p.startswith("issues/") and p not in found)
    report.junk += [f"{p}: missing from the tip tree" for p in missing]
    report.beads = len(found)

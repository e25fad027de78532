"""The ledgers: each read cache consistent with its ledger's tip, the wisp overlay's blobs
present (not pruned), and, when asked (it is slow), `bd verify` on each ledger."""

from __future__ import annotations

import contextlib
import sqlite3

import orjson
import pygit2

from beads import gitdir
from beads.cache import COMMITTED
from beads.reader import Reader
from beads.verify import first_failure, verify
from gt.doctor.finding import Finding, Options, ok, problem
from gt.town import Town
from gt.townview.ledgers import LedgerView, ledgers


def _tree_ids(repo: pygit2.Repository, tip: str) -> set[str]:
    """The id of every bead file in the tree of `tip` (deletions' tombstones included)."""
    ids: set[str] = set()
    tree = repo[tip].peel(pygit2.Tree)
    if "issues" not in tree:
        return ids
    for shard in repo[tree["issues"].id].peel(pygit2.Tree):
        for entry in repo[shard.id].peel(pygit2.Tree):
            if entry.name.endswith(".json"):
                ids.add(entry.name[:-5])
    return ids


def _cache(view: LedgerView, repo: pygit2.Repository) -> Finding:
    reader = Reader(gitdir.GitDirs(view.git_dir, view.git_dir), repo)
    subject = f"cache {view.name}"

    def rebuild() -> str:
        reader.rebuild()
        return f"rebuilt the read cache of {view.name}"

    try:
        reader.current()
        cached = {row[0] for row in reader.db.execute(
            "SELECT id FROM beads WHERE layer = ?", (COMMITTED,))}
        junk = {row[0].rsplit("/", 1)[-1].removesuffix(".json")
                for row in reader.db.execute("SELECT path FROM junk WHERE layer = ?",
                                             (COMMITTED,))}
        tip = reader.cache.get("tip")
    except sqlite3.DatabaseError as error:
        return problem("read caches", subject, f"unreadable: {error}", "rebuild it", rebuild)
    if tip != view.tip:
        return problem("read caches", subject, f"reflects {str(tip)[:12]}, the ledger is at "
                       f"{str(view.tip)[:12]}", "rebuild it", rebuild)
    files = _tree_ids(repo, tip) if tip else set()
    extra = cached - files
    missing = sorted(files - cached - junk)
    # A bead file missing from the cache may be a deletion's tombstone: read those few.
    for bead_id in list(missing):
        with contextlib.suppress(KeyError, ValueError):
            tree = repo[tip].peel(pygit2.Tree)
            shard = bead_id.rsplit("-", 1)[-1][:2]
            doc = orjson.loads(repo[tree[f"issues/{shard}/{bead_id}.json"].id].data)
            if doc.get("deleted"):
                missing.remove(bead_id)
    if extra or missing:
        detail = ", ".join([*(f"+{i}" for i in sorted(extra)[:3]),
                            *(f"-{i}" for i in missing[:3])])
        return problem("read caches", subject, f"{len(extra)} bead(s) the tip does not hold "
                       f"and {len(missing)} it holds are not in the cache ({detail})",
                       "rebuild it", rebuild)
    return ok("read caches", subject, f"{len(cached)} beads, at the tip")


def check(town: Town, options: Options) -> list[Finding]:
    found = []
    for view in ledgers(town):
        if view.tip is None:
            found.append(problem("read caches", f"cache {view.name}", "no ledger (no beads "
                                 "branch)", "bd init, or gt rig add again"))
            continue
        repo = pygit2.Repository(str(view.git_dir))
        found.append(_cache(view, repo))
        view.db  # noqa: B018 - reads the overlay, recording its problems
        missing = [p for p in view.problems if p.startswith("wisp ")]
        if missing:
            found += [problem("wisp overlay", view.name, line, "bd wisp burn <id> drops the "
                              "entry; its content is lost") for line in missing]
        else:
            found.append(ok("wisp overlay", view.name, "every wisp's blob is present"))
        if options.verify:
            report = verify(repo)
            if report.ok:
                found.append(ok("bd verify", view.name, f"{report.commits} commits, "
                                f"{report.events} events: the tree is the replay"))
            else:
                found.append(problem("bd verify", view.name,
                                     first_failure(report) or "; ".join(report.problems[:3])
                                     or "junk or cycles found", "bd verify names the commit; "
                                     "restore from a clone"))
    return found

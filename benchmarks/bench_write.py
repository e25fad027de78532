"""Write latency: in-process `Ledger.create` and `Ledger.update` against a bare pygit2 commit.

At each ledger size (default 1k, 20k and 100k beads), on disk and, when the machine has one,
on tmpfs, it times single creates and single updates through the public API, interleaved round
by round with the baseline: the least a ledger write can cost with pygit2 - read the tip,
write one bead blob into the sharded tree `issues/<2 chars>/<id>.json` plus `meta.json`,
rebuild the three trees on that path with TreeBuilder and commit with the tip as parent.
The baseline commits to a scratch ref in the same repository, so the ledger and its cache
stay untouched while the object store, tree sizes and ref update cost the same.
Target: each write at most 1.7x the bare commit (medians).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys

import orjson
import pygit2
from common import (
    ACTOR,
    Fixtures,
    Row,
    arguments,
    bead_id,
    median,
    pick_sizes,
    print_table,
    record,
    size_label,
    timed,
)

from beads.ledger import Ledger

TARGET = 1.7
BASELINE_REF = "refs/heads/bench-baseline"
BLOB = pygit2.GIT_FILEMODE_BLOB
TREE = pygit2.GIT_FILEMODE_TREE


class BareCommit:
    """The baseline writer: one bead blob and meta.json per commit, plain pygit2."""

    def __init__(self, ledger: Ledger) -> None:
        self.repo = ledger.repo
        self.repo.references.create(BASELINE_REF, ledger.store.tip(), force=True)
        self.signature = pygit2.Signature(ACTOR, f"{ACTOR}@example.com")
        self.count = 0

    def commit(self) -> None:
        repo = self.repo
        self.count += 1
        tip = repo.references[BASELINE_REF].target
        root = repo[tip].tree
        name = "bl-" + hashlib.sha256(str(self.count).encode()).hexdigest()[:8]
        shard = name[3:5]
        doc = {**record(self.count), "id": name, "_clock": {}, "_removed": {}}
        blob = repo.create_blob(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        meta = repo.create_blob(orjson.dumps({"count": self.count, "lamport": self.count}))
        issues = repo[root["issues"].id]
        shard_tree = repo[issues[shard].id] if shard in issues else None
        shard_builder = repo.TreeBuilder(shard_tree) if shard_tree else repo.TreeBuilder()
        shard_builder.insert(f"{name}.json", blob, BLOB)
        issues_builder = repo.TreeBuilder(issues)
        issues_builder.insert(shard, shard_builder.write(), TREE)
        root_builder = repo.TreeBuilder(root)
        root_builder.insert("issues", issues_builder.write(), TREE)
        root_builder.insert("meta.json", meta, BLOB)
        repo.create_commit(BASELINE_REF, self.signature, self.signature, f"create {name}",
                           root_builder.write(), [tip])


def measure(ledger: Ledger, size: int, rounds: int) -> dict[str, list[float]]:
    """Seconds per call, `rounds` of each, interleaved so noise hits all three alike."""
    bare = BareCommit(ledger)
    ledger.create("warm-up")
    bare.commit()
    picks = random.Random(size)
    samples: dict[str, list[float]] = {"bare": [], "create": [], "update": []}
    for n in range(rounds):
        samples["bare"].append(timed(bare.commit))
        samples["create"].append(timed(ledger.create, f"bench create {n}"))
        target = bead_id(picks.randint(1, size))
        samples["update"].append(timed(ledger.update, target, {"priority": n % 5}))
    return samples


def run(args: argparse.Namespace, fixtures: Fixtures) -> list[Row]:
    sizes = pick_sizes(args, [1000, 20000, 100000], [1000, 5000])
    rounds = 15 if args.quick else 40
    places = [("disk", False)] + ([("tmpfs", True)] if fixtures.tmpfs else [])
    rows: list[Row] = []
    for label, tmpfs in places:
        for size in sizes:
            path = fixtures.ledger(size, tmpfs)
            samples = measure(Ledger(path, ACTOR), size, rounds)
            bare = median(samples["bare"]) * 1000
            for op in ("create", "update"):
                value = median(samples[op]) * 1000
                rows.append(Row("write", f"{op} @{size_label(size)} {label}", value, "ms",
                                bare, "bare commit", f"<= {TARGET}x",
                                value <= TARGET * bare))
    return rows


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__, argv)
    with Fixtures() as fixtures:
        rows = run(args, fixtures)
        print_table(fixtures.setup_rows() + rows, "write latency (median per call)")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Cold read-cache rebuild: the time to refill the cache from the ledger tree from nothing.

At 100k beads by default, it deletes the cache files under `<git dir>/beads/` and times a
fresh `Reader(...).rebuild()` (what `bd cache rebuild` runs), three times. The baseline from
the same run is the least any rebuild must do: walk the tree with pygit2 and read and parse
every bead file. Target: 10 s or less (median).

The ledger is measured as the import left it (loose objects), then once more after
`git repack -ad`, as a long-lived repository would be after git's housekeeping; the target
applies to the first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson
import pygit2
from common import (
    Fixtures,
    Row,
    arguments,
    git,
    median,
    pick_sizes,
    print_table,
    size_label,
    timed,
)

from beads import gitdir
from beads.cache import cache_path
from beads.reader import Reader

TARGET_S = 10.0
RUNS = 3


def delete_cache(dirs: gitdir.GitDirs) -> None:
    path = cache_path(dirs.state_dir)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def cold_rebuild(dirs: gitdir.GitDirs) -> int:
    """Rebuild from scratch with a new repository handle; the number of beads cached."""
    delete_cache(dirs)
    reader = Reader(dirs)
    reader.rebuild()
    return reader.db.execute("SELECT count(*) FROM beads").fetchone()[0]


def read_every_bead(dirs: gitdir.GitDirs) -> int:
    """The baseline: read and parse every bead file in the tip's tree."""
    repo = pygit2.Repository(str(dirs.common_dir))
    issues = repo.references[gitdir.BEADS_REF].peel(pygit2.Commit).tree / "issues"
    count = 0
    for shard in issues:
        for entry in repo[shard.id]:
            orjson.loads(repo[entry.id].data)
            count += 1
    return count


def loose_objects(path: Path) -> str:
    counts = dict(line.split(": ") for line in git(path, "count-objects", "-v").splitlines())
    return f"{int(counts['count']) // 1000}k loose objects, {int(counts['size']) // 1024} MB"


def measure(dirs: gitdir.GitDirs) -> tuple[float, float, int]:
    """Median rebuild and baseline seconds, interleaved; and the number of beads."""
    cached, files = cold_rebuild(dirs), read_every_bead(dirs)
    if cached != files:
        raise RuntimeError(f"cache holds {cached} beads, the tree {files}")
    rebuild, baseline = [], []
    for _ in range(RUNS):
        rebuild.append(timed(cold_rebuild, dirs))
        baseline.append(timed(read_every_bead, dirs))
    return median(rebuild), median(baseline), files


def run(args: argparse.Namespace, fixtures: Fixtures) -> list[Row]:
    sizes = pick_sizes(args, [100000], [5000])
    rows: list[Row] = []
    for size in sizes:
        path = fixtures.ledger(size)
        dirs = gitdir.find(path)
        tag = f"@{size_label(size)}"
        objects = loose_objects(path)
        rebuild, baseline, files = measure(dirs)
        rows.append(Row("cache", f"cold rebuild {tag}, {files} beads ({objects})", rebuild,
                        "s", baseline, "read+parse all", f"<= {TARGET_S:.0f} s",
                        rebuild <= TARGET_S))
        rows.append(Row("cache", f"git repack -ad {tag} (setup for the packed run)",
                        timed(git, path, "repack", "-adq"), "s"))
        rebuild, baseline, files = measure(dirs)
        rows.append(Row("cache", f"cold rebuild {tag}, {files} beads (packed)", rebuild, "s",
                        baseline, "read+parse all"))
    return rows


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__, argv)
    with Fixtures() as fixtures:
        rows = run(args, fixtures)
        print_table(fixtures.setup_rows() + rows, f"cold cache rebuild (median of {RUNS})")


if __name__ == "__main__":
    main(sys.argv[1:])

"""The merge driver for a raw `git merge` of a checked-out beads branch.

`bd init` registers it (`merge.beads.driver` in the repository's config, and the ledger's
files in `info/attributes`), so someone who checks out the beads branch and pulls gets the
same tree as `bd sync`'s merge: a bead file changed on both sides merges register by
register, meta.json takes the higher lamport and both sides' new beads, config.json merges
per key. Files changed on one side only are git's ordinary business.

A file driver cannot rename: when both sides minted one id for two beads (`beads.twins`),
the driver leaves the file conflicted and names `bd resolve-merge`, which writes the replay
merge's whole tree (twin renamed, its side's links following it) into the index and work tree
and concludes the merge with `git commit`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pygit2

from beads import canonical, fold, gitdir, gitrun, replay, twins
from beads.errors import InvalidInput
from beads.treemerge import merge_config, merged_tree

ATTRIBUTES = ("issues/** merge=beads", "meta.json merge=beads", "config.json merge=beads")


def install(common_dir: Path) -> None:
    """Register the driver in this repository (idempotent)."""
    command = f"{sys.executable} -m beads.mergedriver %O %A %B %P"
    gitrun.run(("config", "merge.beads.name", "beads ledger merge"), git_dir=common_dir)
    gitrun.run(("config", "merge.beads.driver", command), git_dir=common_dir)
    attributes = common_dir / "info" / "attributes"
    attributes.parent.mkdir(parents=True, exist_ok=True)
    present = attributes.read_text().splitlines() if attributes.exists() else []
    missing = [line for line in ATTRIBUTES if line not in present]
    if missing:
        with open(attributes, "a") as handle:
            handle.write("".join(f"{line}\n" for line in missing))


def _load(path: str) -> Any:
    data = Path(path).read_bytes()
    return canonical.loads(data) if data.strip() else None


class TwinsMinted(Exception):
    """Both sides minted the file's id for different beads."""


def merge_files(base: str, ours: str, theirs: str, name: str) -> bytes:
    mine, their, common = _load(ours), _load(theirs), _load(base)
    if name.startswith("issues/") and mine and their and twins.are_twins(mine, their):
        raise TwinsMinted(mine["id"])
    if name == replay.META_PATH:
        common = common or replay.empty_meta()
        merged = {**mine, "lamport": max(mine["lamport"], their["lamport"]),
                  "count": mine["count"] + their["count"] - common["count"]}
    elif name == replay.CONFIG_PATH:
        merged = merge_config(mine, their)
    elif mine is None or their is None:
        merged = mine if their is None else their
    else:
        merged = fold.merge(mine, their)
    return canonical.dumps_file(merged)


def main(argv: list[str]) -> int:
    """git calls: <base> <ours> <theirs> <path>; the result goes into <ours>; 0 = merged."""
    base, ours, theirs, name = argv
    try:
        result = merge_files(base, ours, theirs, name)
    except TwinsMinted as exc:
        print(f"beads merge driver: both sides minted {exc} for different beads; "
              "run `bd resolve-merge` to finish the merge", file=sys.stderr)
        return 1
    except (ValueError, KeyError, TypeError) as exc:
        print(f"beads merge driver: cannot merge {name}: {exc}", file=sys.stderr)
        return 1
    Path(ours).write_bytes(result)
    return 0


def resolve(repo: pygit2.Repository) -> str:
    """Finish a raw `git merge` into the checked-out beads branch with the replay merge's
    tree, committed by git (hooks and identity as usual); returns the merge commit."""
    if repo.workdir is None or repo.head_is_detached or repo.head.name != gitdir.BEADS_REF:
        raise InvalidInput("resolve-merge works where the beads branch is checked out")
    workdir = Path(repo.workdir)
    theirs = gitrun.run(("rev-parse", "-q", "--verify", "MERGE_HEAD^{commit}"), cwd=workdir,
                        check=False)
    if theirs.returncode != 0:
        raise InvalidInput("no merge in progress (no MERGE_HEAD)")
    tree = merged_tree(repo, repo.head.target, pygit2.Oid(hex=theirs.stdout.strip()))
    for step in (("read-tree", "--reset", "-u", str(tree)), ("commit", "-q", "--no-edit")):
        gitrun.run(step, cwd=workdir)
    return gitrun.run(("rev-parse", "HEAD"), cwd=workdir).stdout.strip()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

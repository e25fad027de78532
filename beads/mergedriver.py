"""The merge driver for a raw `git merge` of a checked-out beads branch.

`bd init` registers it (`merge.beads.driver` in the repository's config, and the ledger's
files in `info/attributes`), so someone who checks out the beads branch and pulls gets the
same tree as `bd sync`'s merge: a bead file changed on both sides merges register by
register, meta.json takes the higher lamport and both sides' new beads, config.json merges
per key. Files changed on one side only are git's ordinary business.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from beads import canonical, fold, replay
from beads.sync import merge_config

ATTRIBUTES = ("issues/** merge=beads", "meta.json merge=beads", "config.json merge=beads")


def install(common_dir: Path) -> None:
    """Register the driver in this repository (idempotent)."""
    command = f"{sys.executable} -m beads.mergedriver %O %A %B %P"
    subprocess.run(["git", "--git-dir", str(common_dir), "config", "merge.beads.name",
                    "beads ledger merge"], check=True, capture_output=True)
    subprocess.run(["git", "--git-dir", str(common_dir), "config", "merge.beads.driver",
                    command], check=True, capture_output=True)
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


def merge_files(base: str, ours: str, theirs: str, name: str) -> bytes:
    mine, their, common = _load(ours), _load(theirs), _load(base)
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
    except (ValueError, KeyError, TypeError) as exc:
        print(f"beads merge driver: cannot merge {name}: {exc}", file=sys.stderr)
        return 1
    Path(ours).write_bytes(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

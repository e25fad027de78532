"""Refs read as plain files (loose refs and `packed-refs`), without git or pygit2."""

from __future__ import annotations

import os
from pathlib import Path


def under(git_dir: Path, prefix: str) -> dict[str, str]:
    """Every ref whose name starts with `prefix` (`refs/mr/`) -> the object id it names;
    a loose ref wins over its packed copy."""
    found: dict[str, str] = {}
    try:
        with open(git_dir / "packed-refs", encoding="utf-8", errors="replace") as packed:
            for line in packed:
                if line.startswith(("#", "^")):
                    continue
                oid, _, name = line.rstrip("\n").partition(" ")
                if name.startswith(prefix):
                    found[name] = oid
    except FileNotFoundError:
        pass
    base = git_dir / prefix.rstrip("/")
    for folder, _dirs, files in os.walk(base):
        for file in files:
            path = Path(folder) / file
            try:
                value = path.read_text().strip()
            except OSError:
                continue
            if len(value) >= 40 and not value.startswith("ref:"):
                found[str(path.relative_to(git_dir))] = value
    return found


def changed_at(git_dir: Path, ref: str) -> float | None:
    """When a loose ref was last written (unix time), or None (packed or absent)."""
    try:
        return (git_dir / ref).stat().st_mtime
    except OSError:
        return None

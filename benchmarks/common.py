"""Shared by the benchmarks: populated scratch ledgers, timing helpers, arguments, tables.

Nothing here is measured itself; it sets the stage. A populated ledger is made once per run
through the JSONL import path (which chunks its commits) and shared by every benchmark that
asks for the same size on the same kind of file system; its setup time is kept for the tables.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beads.jsonl import import_records
from beads.ledger import Ledger

ACTOR = "bench"
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
SHM = Path("/dev/shm")


# ----------------------------------------------------------------- numbers


def median(samples: Iterable[float]) -> float:
    return statistics.median(list(samples))


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `pct`% at or below it."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def timed(func: Callable[..., object], *args: Any) -> float:
    """Seconds one call takes."""
    started = time.perf_counter()
    func(*args)
    return time.perf_counter() - started


# ----------------------------------------------------------------- results


@dataclass
class Row:
    """One line of a result table. `value` and `baseline` are in `unit`."""

    bench: str
    case: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    ok: bool | None = None

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if not unit and float(value).is_integer():
        return str(int(value))
    digits = 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0
    return f"{value:.{digits}f} {unit}".strip()


def print_table(rows: list[Row], title: str = "") -> None:
    header = ("benchmark", "case", "value", "baseline", "ratio", "target", "result")
    lines = [header]
    for row in rows:
        base = f"{_fmt(row.baseline, row.unit)} ({row.baseline_name})" if row.baseline_name \
            else _fmt(row.baseline, row.unit)
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
        result = "" if row.ok is None else "PASS" if row.ok else "FAIL"
        lines.append((row.bench, row.case, _fmt(row.value, row.unit), base, ratio,
                      row.target, result))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    if title:
        print(f"\n{title}")
    for n, line in enumerate(lines):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
              .rstrip())
        if n == 0:
            print("  ".join("-" * width for width in widths))


def size_label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


# ----------------------------------------------------------------- arguments


def parse_sizes(text: str) -> list[int]:
    """`1k,20k,100000` -> [1000, 20000, 100000]."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        sizes.append(int(float(part[:-1]) * 1000) if part.endswith("k") else int(part))
    return sizes


def arguments(description: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(description or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes and fewer repetitions, for a fast smoke run")
    parser.add_argument("--sizes", type=parse_sizes, default=None,
                        help="ledger sizes in beads, comma-separated (e.g. 1k,20k)")
    return parser.parse_args(argv)


def pick_sizes(args: argparse.Namespace, full: list[int], quick: list[int]) -> list[int]:
    return args.sizes or (quick if args.quick else full)


# ----------------------------------------------------------------- scratch ledgers


def bead_id(n: int) -> str:
    """A deterministic, evenly sharded id for the n-th populated bead."""
    number = int.from_bytes(hashlib.sha256(str(n).encode()).digest()[:8], "big")
    chars = []
    for _ in range(8):
        number, digit = divmod(number, 36)
        chars.append(_ALPHABET[digit])
    return "bd-" + "".join(chars)


def record(n: int) -> dict[str, Any]:
    """A bead as Beads exports it: a mix of statuses, types, labels and blocking deps."""
    rec: dict[str, Any] = {
        "id": bead_id(n), "title": f"Benchmark bead number {n}",
        "description": f"Generated bead {n}. " + "Some words describing the work. " * 4,
        "status": ("open", "open", "in_progress", "closed")[n % 4],
        "priority": n % 5, "issue_type": ("task", "bug", "feature", "chore")[n % 4],
        "created_at": f"2024-{n % 12 + 1:02d}-{n % 28 + 1:02d}T10:00:00Z",
        "labels": [f"area-{n % 7}"] + (["urgent"] if n % 10 == 0 else []),
    }
    if n % 5 == 1 and n > 1:
        rec["dependencies"] = [{"depends_on_id": bead_id(n - 1), "type": "blocks"}]
    return rec


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def new_repo(path: Path) -> Path:
    """A fresh repository with an identity and one commit on main."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", ACTOR)
    git(path, "config", "user.email", f"{ACTOR}@example.com")
    git(path, "commit", "-q", "--allow-empty", "-m", "initial")
    return path


@dataclass
class Setup:
    """How long a populated ledger took to make: import, then filling the read cache."""

    size: int
    import_s: float
    cache_s: float


def populate(path: Path, size: int) -> Setup:
    """Make a ledger of `size` beads at `path` and bring its read cache up to date."""
    new_repo(path)
    ledger = Ledger.init(path, "bd", actor=ACTOR)
    records = [(n, record(n)) for n in range(1, size + 1)]
    import_s = timed(import_records, ledger, records)
    cache_s = timed(ledger.db)
    return Setup(size, import_s, cache_s)


def tmpfs_dir() -> Path | None:
    """A tmpfs directory to run in, when the machine has one we may write to."""
    return SHM if SHM.is_dir() and os.access(SHM, os.W_OK) else None


def fs_type(path: Path) -> str:
    """The file system type `path` lives on, from the longest matching mount point."""
    best, kind = "", "unknown"
    with open("/proc/mounts", encoding="utf-8") as mounts:
        for line in mounts:
            _, point, fs, *_ = line.split()
            inside = str(path) == point or str(path).startswith(point.rstrip("/") + "/")
            if inside and len(point) > len(best):
                best, kind = point, fs
    return kind


class Fixtures:
    """Scratch directories on disk (and tmpfs), with populated ledgers made on demand."""

    def __init__(self) -> None:
        self.disk = Path(tempfile.mkdtemp(prefix="beads-bench-"))
        shm = tmpfs_dir()
        self.tmpfs = Path(tempfile.mkdtemp(prefix="beads-bench-", dir=shm)) if shm else None
        self._ledgers: dict[tuple[int, bool], Path] = {}
        self.setups: list[tuple[str, Setup]] = []
        self._scratch = 0

    def __enter__(self) -> Fixtures:
        return self

    def __exit__(self, *exc: object) -> None:
        for root in (self.disk, self.tmpfs):
            if root is not None:
                shutil.rmtree(root, ignore_errors=True)

    def root(self, tmpfs: bool) -> Path:
        root = self.tmpfs if tmpfs else self.disk
        if root is None:
            raise RuntimeError("no tmpfs directory on this machine")
        return root

    def scratch(self, tmpfs: bool = False) -> Path:
        """A fresh, unused path under the chosen root."""
        self._scratch += 1
        return self.root(tmpfs) / f"scratch-{self._scratch}"

    def ledger(self, size: int, tmpfs: bool = False) -> Path:
        """The shared populated ledger of this size; made (and timed) the first time."""
        key = (size, tmpfs)
        if key not in self._ledgers:
            path = self._ledgers[key] = self.root(tmpfs) / f"ledger-{size}"
            self.setups.append(("tmpfs" if tmpfs else "disk", populate(path, size)))
        return self._ledgers[key]

    def setup_rows(self) -> list[Row]:
        """How long populating the shared ledgers took (for the record, not a target)."""
        rows = []
        for label, setup in self.setups:
            size = size_label(setup.size)
            rows.append(Row("setup", f"import {size} beads ({label})", setup.import_s, "s"))
            rows.append(Row("setup", f"fill read cache {size} ({label})", setup.cache_s, "s"))
        return rows

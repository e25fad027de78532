"""Crash safety: writers and readers killed with SIGKILL, and a cache file full of garbage.

Every victim is a real OS process (`tests/workers/ledger_worker.py`). Random kills land
wherever they land; to hit the narrow windows in which libgit2 holds a lock file, other
tests freeze the victim with SIGSTOP over and over until it is caught holding one, and kill
it there. After every kill the ledger must pass `verify`, the next writer must get through,
the read cache must never hold state the ref does not have, and everything a killed process
had been told was written must still be there.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pygit2
import pytest

from beads import Ledger, canonical, gitdir
from beads.cache import Cache, cache_path, public_view
from beads.ledger import NewBead
from beads.overlay import Overlay
from beads.reader import Reader
from beads.verify import verify
from tests.conftest import BD
from tests.gt_helpers import wait_for
from tests.workers.harness import committed_views, go, ref_views, spawn, wait_ready

WRITER_KILLS = 30
WISP_KILLS = 15
READER_KILLS = 10
REFRESH_BEADS = 5000
FLOCK_FILES = {"beads/ledger.lock", "beads/wisps.lock"}  # flock: the kernel drops those


# ------------------------------------------------------------------ helpers


def _bd(repo: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BD, "-C", str(repo), *args], capture_output=True, text=True,
                          timeout=timeout)


def _lock_files(repo: Path) -> list[str]:
    """Lock files libgit2 left behind (flock files, which cannot go stale, are left out)."""
    common = gitdir.find(repo).common_dir
    found = (str(p.relative_to(common)) for p in common.rglob("*.lock"))
    return sorted(name for name in found if name not in FLOCK_FILES)


def _start(repo: Path, sync: Path, name: str, mode: str) -> subprocess.Popen[str]:
    proc = spawn(repo, sync, name, mode, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_ready(sync, {name: proc})
    go(sync)
    return proc


def _kill(proc: subprocess.Popen[str]) -> int:
    """SIGKILL a victim; return its status (-9, or its own if it had already ended)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.stderr is not None
    err = proc.stderr.read()
    assert proc.returncode == -signal.SIGKILL, f"the victim ended by itself: {err}"
    return proc.returncode


def _kill_holding(proc: subprocess.Popen[str], locks: list[Path], rng: random.Random,
                  timeout: float = 60) -> Path:
    """Freeze the victim at random moments until one of `locks` exists, then SIGKILL it.

    The victim is seen stopped (waitpid) before the check, so the lock file is really its
    own, held at the moment it dies.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        os.kill(proc.pid, signal.SIGSTOP)
        _, status = os.waitpid(proc.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), f"the victim ended by itself (status {status})"
        held = [lock for lock in locks if lock.exists()]
        if held:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return held[0]
        os.kill(proc.pid, signal.SIGCONT)
        time.sleep(rng.uniform(0, 0.003))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    raise AssertionError(f"never caught the victim holding any of {locks} in {timeout}s")


def _acknowledged(log: Path, op: str = "create") -> set[str]:
    """Ids whose `op` had returned to the killed process (whole log lines only)."""
    if not log.exists():
        return set()
    lines = log.read_text().split("\n")[:-1]
    return {line.split(" ", 1)[1] for line in lines if line.startswith(f"{op} ")}


def _assert_ledger_valid(repo: Path, context: str) -> None:
    report = verify(pygit2.Repository(str(repo)))
    assert report.ok, f"{context}: {report.to_dict()}"


def _assert_cache_never_ahead(repo: Path, context: str) -> dict[str, bytes]:
    """The cache as left holds exactly the tree of a commit on the ref's chain; read through
    the Reader it holds exactly the ref's beads. Returns the ref's beads."""
    git = pygit2.Repository(str(repo))
    ref_tip = git.references[gitdir.BEADS_REF].target
    left = Cache(gitdir.find(repo).state_dir)
    try:
        cached_tip = left.get("tip")
        rows = committed_views(left.db)
    finally:
        left.db.close()
    if cached_tip:
        assert cached_tip == str(ref_tip) or git.descendant_of(ref_tip, cached_tip), \
            f"{context}: the cache records {cached_tip}, which is not on the ref's chain"
        assert rows == ref_views(repo, cached_tip), \
            f"{context}: the cache's rows are not the tree of the tip it records"
    else:
        assert rows == {}, f"{context}: the cache has rows but no tip"
    views = ref_views(repo)
    reader = Reader(gitdir.find(repo))
    try:
        assert committed_views(reader.current()) == views, \
            f"{context}: reading through the cache does not give the ref's beads"
    finally:
        reader.db.close()
    return views


def _assert_next_write(repo: Path, context: str, *extra: str) -> str:
    """A fresh `bd create` goes through (no lock left behind blocks it); returns the id."""
    started = time.monotonic()
    result = _bd(repo, "create", f"after {context}", "--silent", *extra)
    assert result.returncode == 0, (
        f"{context}: the next write failed after {time.monotonic() - started:.1f}s; "
        f"lock files left: {_lock_files(repo)}\n{result.stderr[-3000:]}")
    return result.stdout.strip()


def _wisp_views(repo: Path) -> tuple[dict[str, bytes], list[str]]:
    git = pygit2.Repository(str(repo))
    docs, problems = Overlay(git, gitdir.find(repo)).read()
    return {i: canonical.dumps(public_view(d)) for i, d in docs.items()}, problems


def _cached_wisps(repo: Path) -> dict[str, bytes]:
    reader = Reader(gitdir.find(repo))
    try:
        return {row[0]: bytes(row[1]) for row in
                reader.current().execute("SELECT b.id, d.doc FROM beads b JOIN docs d "
                                         "ON d.id = b.id WHERE b.layer=1")}
    finally:
        reader.db.close()


# ------------------------------------------------------------------ committed writers


@pytest.mark.slow
def test_writer_killed_at_random_moments_keeps_ledger_valid(
        ledger: Ledger, repo: Path, tmp_path: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    acknowledged: set[str] = set()
    after: set[str] = set()
    for kill in range(WRITER_KILLS):
        context = f"seed {seed}, kill {kill}"
        sync = tmp_path / f"sync{kill}"
        proc = _start(repo, sync, f"victim{kill}", "writer")
        time.sleep(rng.uniform(0.0, 0.25))
        _kill(proc)

        _assert_ledger_valid(repo, context)
        views = _assert_cache_never_ahead(repo, context)
        acknowledged |= _acknowledged(sync / f"log.victim{kill}")
        lost = acknowledged - views.keys()
        assert not lost, f"{context}: acknowledged creates are gone: {sorted(lost)}"
        for bead_id in _acknowledged(sync / f"log.victim{kill}", "update"):
            assert canonical.loads(views[bead_id]).get("notes"), (context, bead_id)
        victims = {i for i, v in views.items() if canonical.loads(v)["title"].startswith(
            f"victim{kill} ")}
        assert len(victims - acknowledged) <= 1, f"{context}: more than one unacknowledged"
        after.add(_assert_next_write(repo, context))
    assert after <= ref_views(repo).keys()
    _assert_ledger_valid(repo, f"seed {seed}, at the end")


def test_writer_killed_holding_the_ref_lock_does_not_block_the_next_writer(
        ledger: Ledger, repo: Path, tmp_path: Path) -> None:
    """libgit2 moves the ref by writing `<ref>.lock` and renaming it; a writer killed between
    the two leaves the lock file behind. The next writer must still get through."""
    rng = random.Random()
    ref_lock = gitdir.find(repo).common_dir / f"{gitdir.BEADS_REF}.lock"
    for catch in range(3):
        context = f"catch {catch}"
        proc = _start(repo, tmp_path / f"sync{catch}", f"victim{catch}", "writer")
        assert _kill_holding(proc, [ref_lock], rng) == ref_lock
        _assert_ledger_valid(repo, context)
        _assert_cache_never_ahead(repo, context)
        bead_id = _assert_next_write(repo, context)
        assert bead_id in ref_views(repo)
        assert not ref_lock.exists()


# ------------------------------------------------------------------ readers


def _restore(backup: Path, target: Path) -> None:
    """Put a saved cache back in place (the way a reader would find an older cache)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    if backup.exists():
        source, dest = sqlite3.connect(backup), sqlite3.connect(target)
        source.backup(dest)
        source.close()
        dest.close()


def test_reader_killed_mid_refresh_leaves_a_cache_that_reads_correctly(
        ledger: Ledger, repo: Path, tmp_path: Path) -> None:
    """Kill readers rebuilding the cache from nothing, and readers catching an old cache
    up over thousands of changed beads; the next read is right either way."""
    ledger.create("Before")
    ledger.db()
    state = gitdir.find(repo).state_dir
    old_cache = tmp_path / "old-cache.sqlite"
    _restore(cache_path(state), old_cache)  # a copy of the cache at the older tip
    old_tip = str(ledger.store.tip())
    ledger.create_many([NewBead(f"bulk {n}", {"description": "x" * 200}, labels=["a", "b"])
                        for n in range(REFRESH_BEADS)])
    ledger.reader.db.close()
    tip = str(ledger.store.tip())
    expected = {old_tip: ref_views(repo, old_tip), tip: ref_views(repo)}

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    killed = 0
    for kill in range(READER_KILLS):
        incremental = kill % 2 == 1
        context = f"seed {seed}, kill {kill} ({'incremental' if incremental else 'rebuild'})"
        _restore(old_cache if incremental else tmp_path / "none", cache_path(state))
        sync = tmp_path / f"sync{kill}"
        proc = spawn(repo, sync, "reader", "read", stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
        wait_ready(sync, {"reader": proc})
        go(sync)
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        killed += proc.returncode == -signal.SIGKILL

        left = Cache(state)
        cached_tip, rows = left.get("tip"), committed_views(left.db)
        left.db.close()
        assert cached_tip in (None, old_tip, tip), context
        assert rows == (expected[cached_tip] if cached_tip else {}), context
        reader = Reader(gitdir.find(repo))
        assert committed_views(reader.current()) == expected[tip], context
        reader.db.close()
    # The kills must mostly have landed during the refresh, or this tested nothing.
    assert killed >= READER_KILLS // 2, f"only {killed} readers were killed mid-refresh"


# ------------------------------------------------------------------ wisps


def test_wisp_writer_killed_at_random_moments_keeps_overlay_readable(
        ledger: Ledger, repo: Path, tmp_path: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    acknowledged: set[str] = set()
    for kill in range(WISP_KILLS):
        context = f"seed {seed}, kill {kill}"
        sync = tmp_path / f"sync{kill}"
        proc = _start(repo, sync, f"wisper{kill}", "wisps")
        time.sleep(rng.uniform(0.0, 0.25))
        _kill(proc)

        wisps, problems = _wisp_views(repo)
        assert problems == [], f"{context}: {problems}"
        acknowledged |= _acknowledged(sync / f"log.wisper{kill}")
        assert acknowledged <= wisps.keys(), f"{context}: acknowledged wisps are gone"
        assert _cached_wisps(repo) == wisps, f"{context}: the cache disagrees with the overlay"
        new = _assert_next_write(repo, context, "--ephemeral")
        assert new in _wisp_views(repo)[0]
        _assert_ledger_valid(repo, context)


@pytest.mark.parametrize("lock", ["beads/wisps.index.lock", "refs/beads/wisps.lock"])
def test_wisp_writer_killed_holding_an_overlay_lock(
        ledger: Ledger, repo: Path, tmp_path: Path, lock: str) -> None:
    """The overlay index and its gc-protection ref are both written through lock files."""
    rng = random.Random()
    common = gitdir.find(repo).common_dir
    ledger.create("a wisp before", ephemeral=True)
    proc = _start(repo, tmp_path / "sync", "wisper", "wisps")
    wait_for(lambda: len(_acknowledged(tmp_path / "sync" / "log.wisper")) >= 3,
             what="the wisp writer to add a few wisps to the overlay")
    assert _kill_holding(proc, [common / lock], rng) == common / lock
    wisps, problems = _wisp_views(repo)
    assert problems == []
    assert _acknowledged(tmp_path / "sync" / "log.wisper") <= wisps.keys()
    assert _cached_wisps(repo) == wisps
    new = _assert_next_write(repo, f"a kill holding {lock}", "--ephemeral")
    assert new in _wisp_views(repo)[0]


# ------------------------------------------------------------------ corrupt cache


def _corrupt(path: Path, how: str, rng: random.Random) -> None:
    data = path.read_bytes()
    if how == "garbage":
        path.write_bytes(rng.randbytes(len(data)))
    elif how == "body":  # a valid sqlite header, every page after it garbage
        path.write_bytes(data[:100] + rng.randbytes(len(data) - 100))
    elif how == "pages":  # the first page intact, the tables' pages garbage
        path.write_bytes(data[:4096] + rng.randbytes(len(data) - 4096))
    elif how == "tail":  # the first half intact (schema, kv), the rest garbage
        half = len(data) // 2
        path.write_bytes(data[:half] + rng.randbytes(len(data) - half))
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "text":
        path.write_bytes(b"this is not a database\n" * 100)
    else:
        raise AssertionError(how)


def _everything(repo: Path) -> list[dict[str, Any]]:
    reader = Ledger(repo)
    try:
        return sorted(reader.list(), key=lambda b: b["id"])
    finally:
        reader.reader.db.close()


@pytest.mark.parametrize("how", ["garbage", "body", "pages", "tail", "truncated", "text"])
def test_corrupt_cache_file_is_rebuilt_and_nothing_is_lost(
        ledger: Ledger, repo: Path, how: str) -> None:
    for n in range(200):
        ledger.create(f"bead {n}", labels=[f"l{n % 3}"], description="d" * (n * 10))
    wisp = ledger.create("a wisp", ephemeral=True)
    before = _everything(repo)
    assert len(before) == 201
    ledger.reader.db.close()
    state = gitdir.find(repo).state_dir
    for suffix in ("-wal", "-shm"):
        assert not Path(f"{cache_path(state)}{suffix}").exists()
    _corrupt(cache_path(state), how, random.Random(how))

    # A command-line read in a fresh process, then the Python API.
    listed = _bd(repo, "list", "--json", "--limit", "0")
    assert listed.returncode == 0, listed.stderr
    assert sorted(b["id"] for b in canonical.loads(listed.stdout)) == [b["id"] for b in before]
    assert _everything(repo) == before
    assert committed_views(Reader(gitdir.find(repo)).current()) == ref_views(repo)

    # Corrupt it again under a long-lived reader while another process writes: the
    # reader's next read is right too, and so is everyone else's.
    reader = Reader(gitdir.find(repo))
    reader.current()
    _corrupt(cache_path(state), how, random.Random(how))
    created = _bd(repo, "create", "after the corruption", "--silent")
    assert created.returncode == 0, created.stderr
    new_id = created.stdout.strip()
    assert committed_views(reader.current()) == ref_views(repo)
    reader.db.close()
    assert Ledger(repo, actor="bob").get(wisp["id"])["title"] == "a wisp"
    assert [b["id"] for b in _everything(repo)] == sorted(
        [b["id"] for b in before] + [new_id])
    _assert_ledger_valid(repo, how)

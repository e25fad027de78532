"""The live town of the command-line fuzzer, and what every invocation in it must do
(shared by tests/test_cli_fuzz.py and the tests of what it found)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.test_bad_input import PROGRAMS, UNSAFE, clean_env

TIMEOUT = 60


class FuzzTown(dict[str, Any]):
    """The live town the examples share: its paths, environment, ids and the tally of exit
    statuses (shown short when hypothesis prints a failing example)."""

    def __repr__(self) -> str:
        return f"<the fuzzed town at {self['root']}>"


def run(town: FuzzTown, prog: str, words: Sequence[str | bytes],
        where: str = "town") -> subprocess.CompletedProcess[bytes]:
    argv = [os.fsencode(w) for w in (*PROGRAMS[prog], *words)]
    cwd = town["root"] if where == "town" else town["root"] / "proj"
    if not cwd.is_dir():
        cwd = town["root"]
    return subprocess.run(argv, cwd=cwd, env=town["env"], capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=TIMEOUT)


def shown(words: Sequence[str | bytes]) -> str:
    return " ".join(repr(w if len(w) < 60 else w[:40] + w[-10:]) for w in words)


def crash_log(town: FuzzTown) -> str:
    logs = sorted((town["base"] / "cache").rglob("crash-*.log"), key=lambda p: p.stat().st_mtime)
    return logs[-1].read_text() if logs else "(no crash log found)"


def check(town: FuzzTown, prog: str, words: Sequence[str | bytes],
          result: subprocess.CompletedProcess[bytes]) -> None:
    """What every invocation must do, whatever it was given."""
    tally = town["tally"]
    tally[f"exit {result.returncode}"] = tally.get(f"exit {result.returncode}", 0) + 1
    said = f"{prog} {shown(words)}\nstatus {result.returncode}\nstdout " \
           f"{result.stdout[:2000]!r}\nstderr {result.stderr[:2000]!r}"
    assert result.returncode != 3, f"crash: {said}\n{crash_log(town)}"
    assert result.returncode in (0, 1, 2), said
    assert b"Traceback" not in result.stdout + result.stderr, said
    # JSON escapes the C0 controls of what it carries; human output must show them all
    shown_raw = result.stderr if "--json" in words else result.stdout + result.stderr
    assert not any(mark in shown_raw for mark in UNSAFE), said
    if result.returncode != 0:
        assert len(result.stderr.splitlines()) == 1, said


def remember_ids(town: FuzzTown, result: subprocess.CompletedProcess[bytes]) -> None:
    """Keep the ids a successful `--json` invocation printed (the last 20 of them), so later
    examples work on beads the fuzzer made."""
    try:
        printed = json.loads(result.stdout) if result.returncode == 0 else None
    except ValueError:
        return
    found = [printed] if isinstance(printed, dict) else printed \
        if isinstance(printed, list) else []
    fresh = [item["id"] for item in found if isinstance(item, dict)
             and isinstance(item.get("id"), str) and item["id"] not in town["ids"]]
    town["ids"] = [*town["ids"][:6], *(town["ids"][6:] + fresh)[-20:]]


def ledgers(town: FuzzTown) -> list[Path]:
    root = town["root"]
    return [root, *(path.parent for path in sorted(root.glob("*/.repo.git")))]


def make_fuzz_town(base: Path) -> FuzzTown:
    """A town with the rig `proj` (prefix pj), beads in both ledgers, a convoy, and agents
    that exit at once (`quiet`), so a sling that starts one costs nothing."""
    env = {**clean_env(base), "GT_NO_TMUX": "1"}
    source = base / "proj-src"
    source.mkdir()
    (source / "app.py").write_text("VALUE = 1\n")
    for step in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *step], cwd=source, env=env, check=True, capture_output=True)
    place = FuzzTown(base=base, root=base / "town", env=env, ids=[], tally={})
    setup = [("gt", ["install", str(place["root"]), "--no-tmux"], base),
             ("gt", ["rig", "add", "proj", str(source), "--prefix", "pj"], None),
             ("gt", ["config", "agent", "set", "quiet", shutil.which("true") or "true",
                     "--prompt", "none"], None),
             ("gt", ["config", "default-agent", "quiet"], None)]
    for prog, args, cwd in setup:
        argv = [*PROGRAMS[prog], *args]
        subprocess.run(argv, cwd=cwd or place["root"], env=env, check=True, capture_output=True)
    for where, title in (("rig", "Rig work"), ("rig", "More rig work"), ("town", "Town work")):
        created = run(place, "bd", ["create", title, "--json"], where)
        place["ids"].append(json.loads(created.stdout)["id"])
    convoy = run(place, "gt", ["convoy", "create", "Fuzz convoy", *place["ids"][:2], "--json"])
    place["ids"].append(json.loads(convoy.stdout)["id"])
    place["ids"] += [place["ids"][0][:5], place["ids"][0].upper()]
    return place

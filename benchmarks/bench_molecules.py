"""Molecules: cooking the fixture formulas, pouring the largest, priming and stepping it.

- cook: parse, resolve and cook all 52 fixture formulas (Gas Town's 47, Beads' 5) in-process,
  each with a value for every variable and input (median of a few rounds).
- pour: `bd mol pour towers-of-hanoi-10` (1,025 steps) as a whole process on disk, in a
  fresh ledger each time; it must be one ledger commit. Target <= 1.5 s.
- prime: `gt prime` of a polecat hooked to that molecule (poured onto its bead with `gt
  sling --on`), whole process on a warm cache, against `python -c pass`. Target <= 150 ms.
  It also checks with `-X importtime` that the warm prime imports neither pygit2 nor click.
- step: finishing the current step (`beads.mol.step_done`, one commit) until the next step
  shows in `bd ready`'s query, in-process. Target <= 50 ms. The whole `gt mol step done`
  process is reported beside it (it pays for importing pygit2 to write).

The fixtures live beside the project (`../shared/fixtures`); without them every part is
skipped, saying so, since all of it is measured on those formulas.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import ACTOR, Fixtures, Row, arguments, median, print_table

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
GASTOWN = FIXTURES / "gastown-formulas"
BEADS = FIXTURES / "beads-formulas"
HANOI = "towers-of-hanoi-10"
POUR_TARGET_S, PRIME_TARGET_MS, STEP_TARGET_MS = 1.5, 150.0, 50.0
AGENT = "proj/polecats/nux"


def tool(name: str) -> list[str]:
    script = Path(sys.executable).parent / name
    module = "beads" if name == "bd" else "gt"
    return [str(script)] if script.exists() else [sys.executable, "-m", module]


def env_for(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "BD_ACTOR": ACTOR, "PYTHONPYCACHEPREFIX": str(scratch / "pycache"),
            "GIT_AUTHOR_NAME": ACTOR, "GIT_AUTHOR_EMAIL": "bench@example.invalid",
            "GIT_COMMITTER_NAME": ACTOR, "GIT_COMMITTER_EMAIL": "bench@example.invalid"}


def call(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return took, done.stdout


def sample_values(formula: Any) -> dict[str, str]:
    """A value for each variable and input: its enum's last, one fitting its pattern, or x."""
    values = {}
    for name, var in formula.vars.items():
        if var.enum:
            values[name] = var.enum[-1]
        elif var.pattern:
            values[name] = next(v for v in ("7", "1.2.3", "owner/name", "x")
                                if re.search(var.pattern, v))
        else:
            values[name] = "x"
    values.update({name: "x" for name in formula.inputs})
    return values


def bench_cook(rounds: int) -> list[Row]:
    from beads.formula import cook, load

    files = sorted(GASTOWN.glob("*.formula.toml")) + sorted(BEADS.glob("*.formula.toml"))
    search = [GASTOWN, BEADS]
    samples = []
    steps = 0
    for _ in range(rounds):
        started = time.perf_counter()
        steps = 0
        for path in files:
            formula = load(path, search)
            steps += len(cook(formula, sample_values(formula)).steps)
        samples.append((time.perf_counter() - started) * 1000)
    return [Row("molecules", f"parse+cook all {len(files)} formulas ({steps} steps)",
                median(samples), "ms")]


def bench_pour(scratch: Path, env: dict[str, str], rounds: int) -> list[Row]:
    samples = []
    for n in range(rounds):
        repo = scratch / f"pour-{n}"
        repo.mkdir()
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        call([*tool("bd"), "init", "--prefix", "hn"], repo, env)
        formulas = repo / ".beads" / "formulas"
        formulas.mkdir(parents=True)
        shutil.copy(GASTOWN / f"{HANOI}.formula.toml", formulas)
        before = subprocess.run(["git", "rev-list", "--count", "beads"], cwd=repo,
                                capture_output=True, text=True, check=True).stdout
        took, _ = call([*tool("bd"), "mol", "pour", HANOI, "--json"], repo, env)
        after = subprocess.run(["git", "rev-list", "--count", "beads"], cwd=repo,
                               capture_output=True, text=True, check=True).stdout
        if int(after) != int(before) + 1:
            raise RuntimeError(f"the pour made {int(after) - int(before)} commits, not one")
        samples.append(took)
    value = median(samples)
    return [Row("molecules", f"bd mol pour {HANOI} (1,025 steps, one commit, process)", value,
                "s", target=f"<= {POUR_TARGET_S} s", ok=value <= POUR_TARGET_S)]


def make_town(scratch: Path, env: dict[str, str]) -> Path:
    project = scratch / "proj"
    project.mkdir()
    (project / "app.py").write_text("VALUE = 1\n")
    for argv in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                 ["git", "commit", "-q", "-m", "initial"]):
        subprocess.run(argv, cwd=project, env=env, check=True)
    town = scratch / "town"
    call([*tool("gt"), "install", str(town), "--no-tmux"], scratch, env)
    call([*tool("gt"), "rig", "add", "proj", str(project), "--prefix", "pj"], town, env)
    call([*tool("gt"), "config", "agent", "set", "idle", f"{sys.executable} -c 'import time; "
          "time.sleep(600)'", "--prompt", "none"], town, env)
    (town / "formulas").mkdir()
    shutil.copy(GASTOWN / f"{HANOI}.formula.toml", town / "formulas")
    return town


def bench_prime_and_step(scratch: Path, env: dict[str, str], rounds: int) -> list[Row]:
    town = make_town(scratch, env)
    _, out = call([*tool("bd"), "create", "Move the tower", "--json"], town / "proj", env)
    bead = out.split('"id": "', 1)[1].split('"', 1)[0]
    call([*tool("gt"), "sling", HANOI, AGENT, "--on", bead, "--agent", "idle", "--no-convoy"],
         town, env)
    rows: list[Row] = []
    try:
        prime = [*tool("gt"), "prime", "--agent", AGENT]
        call(prime, town, env)
        base, primed = [], []
        for _ in range(rounds):
            base.append(call([sys.executable, "-c", "pass"], town, env)[0] * 1000)
            primed.append(call(prime, town, env)[0] * 1000)
        value = median(primed)
        rows.append(Row("molecules", "gt prime hooked to 1,025 steps (process)", value, "ms",
                        median(base), "python -c pass", f"<= {PRIME_TARGET_MS:.0f} ms",
                        value <= PRIME_TARGET_MS))
        report = subprocess.run([sys.executable, "-X", "importtime", "-m", "gt", "prime",
                                 "--agent", AGENT], cwd=town, env=env, capture_output=True,
                                text=True).stderr
        heavy = sum(1 for line in report.splitlines() if line.startswith("import time:")
                    and line.rsplit("|", 1)[-1].strip().split(".")[0] in ("pygit2", "click"))
        rows.append(Row("molecules", "pygit2 and click modules imported by gt prime", heavy,
                        "", target="0", ok=heavy == 0))
        rows += step_rows(town, bead, env, rounds)
    finally:
        subprocess.run([*tool("gt"), "down"], cwd=town, env=env, capture_output=True)
    return rows


def step_rows(town: Path, root: str, env: dict[str, str], rounds: int) -> list[Row]:
    from beads import query
    from beads.ledger import Ledger
    from beads.mol import step_done

    ledger = Ledger(town / "proj" / ".repo.git", ACTOR)
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = step_done(ledger, root)
        following = result["current"]["bead"]
        ready = query.ready(ledger.db(), query.Filters(ids=[following]), "priority", None)
        samples.append((time.perf_counter() - started) * 1000)
        if not ready:
            raise RuntimeError(f"{following} is not ready after its step before was done")
    value = median(samples)
    process = [call([*tool("gt"), "mol", "step", "done", "--agent", AGENT], town, env)[0]
               * 1000 for _ in range(max(3, rounds // 3))]
    return [Row("molecules", "step done -> next step in bd ready (in-process)", value, "ms",
                target=f"<= {STEP_TARGET_MS:.0f} ms", ok=value <= STEP_TARGET_MS),
            Row("molecules", "gt mol step done (process)", median(process), "ms")]


def run(args: argparse.Namespace, fixtures: Fixtures) -> list[Row]:
    if not GASTOWN.is_dir() or not BEADS.is_dir():
        print("bench_molecules: skipped: ../shared/fixtures (the Gas Town and Beads formulas "
              "it measures) is absent", file=sys.stderr)
        return []
    rounds = 5 if args.quick else 15
    scratch = fixtures.scratch()
    scratch.mkdir(parents=True)
    env = env_for(scratch)
    return [*bench_cook(3 if args.quick else 7), *bench_pour(scratch, env, 3 if args.quick
                                                             else 5),
            *bench_prime_and_step(scratch, env, rounds)]


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__, argv)
    with Fixtures() as fixtures:
        print_table(run(args, fixtures), "molecules")


if __name__ == "__main__":
    main(sys.argv[1:])

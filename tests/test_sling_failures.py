"""A failed `gt sling` leaves the ledger as it found it, and slings racing for one rig each
take a polecat of their own.

Every failure here is real: a crew member that does not exist, a worktree git cannot make,
an agent whose session cannot start. A target that names no one is refused before anything
is written; a step that fails after the hook commit gives the hook back in one commit that
says why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.gt_helpers import GT, bd, gt, make_town, run

QUIET = "quiet"  # an agent runtime that exits at once: these tests only hook work


@pytest.fixture
def town(tmp_path: Path) -> Path:
    root = make_town(tmp_path)
    gt(root, "config", "agent", "set", QUIET, shutil.which("true") or "true", "--prompt",
       "none")
    return root


def new_bead(town: Path, title: str = "Work") -> str:
    return json.loads(bd(town / "proj", "create", title, "--json").stdout)["id"]


def tips(town: Path) -> tuple[str, str]:
    """The town's and the rig's ledger tips."""
    return (run(["git", "rev-parse", "beads"], town).stdout.strip(),
            run(["git", "rev-parse", "beads"], town / "proj" / ".repo.git").stdout.strip())


def beads_state(town: Path) -> dict[str, dict]:
    """Every bead of both ledgers as `bd list` shows it, keyed by id (times left out)."""
    state = {}
    for place in (town, town / "proj"):
        for bead in json.loads(bd(place, "list", "--all", "--json").stdout):
            state[bead["id"]] = {k: v for k, v in bead.items() if not k.endswith("_at")}
    return state


def failed_once(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 1, result
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1, \
        result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def verified(town: Path) -> None:
    for place in (town, town / "proj"):
        bd(place, "verify")


def test_a_crew_member_that_does_not_exist_is_refused_before_any_write(town: Path) -> None:
    bead = new_bead(town)
    before = tips(town)
    failed_once(gt(town, "sling", bead, "proj/crew/nobody", check=False),
                "no crew member 'nobody' in proj")
    assert tips(town) == before
    assert json.loads(bd(town, "show", bead, "--json").stdout)["status"] == "open"
    assert "proj/crew/nobody" not in gt(town, "agents").stdout


def test_a_worktree_that_cannot_be_made_gives_the_hook_back(town: Path) -> None:
    bead = new_bead(town)
    gt(town, "sling", new_bead(town, "First"), "proj", "--no-convoy", "--agent", QUIET)
    before = beads_state(town)
    (town / "proj" / "polecats").rename(town / "proj" / "polecats-away")
    (town / "proj" / "polecats").write_text("a file where the polecats' directory was\n")
    result = gt(town, "sling", bead, "proj", "--agent", QUIET, check=False)
    failed_once(result, "git worktree failed")
    after = beads_state(town)
    # the new polecat's agent bead stays (an id is never reused), idle with nothing hooked
    new = {k: v for k, v in after.items() if k not in before}
    assert [v["title"] for v in new.values()] == ["proj/polecats/slit"], new
    assert all(v["agent_state"] == "idle" and not v.get("hook_bead") for v in new.values())
    assert {k: v for k, v in after.items() if k in before} == before
    assert "convoy" not in {v.get("issue_type") for v in new.values()}
    why = run(["git", "log", "-1", "--format=%s", "beads"], town / "proj" / ".repo.git").stdout
    assert why.startswith(f"give back {bead}: git worktree failed")
    verified(town)
    # mended, the same bead slings as if nothing had happened
    (town / "proj" / "polecats").unlink()
    (town / "proj" / "polecats-away").rename(town / "proj" / "polecats")
    slung = json.loads(gt(town, "sling", bead, "proj", "--no-convoy", "--agent", QUIET,
                          "--json").stdout)
    assert slung["agent"] == "proj/polecats/slit"


def test_an_agent_that_cannot_start_gives_the_hook_back(town: Path) -> None:
    """The crew member's bead exists but its worktree is gone: its session cannot start."""
    gt(town, "crew", "add", "joe", "--rig", "proj")
    shutil.rmtree(town / "proj" / "crew" / "joe")
    bead = new_bead(town)
    before = beads_state(town)
    failed_once(gt(town, "sling", bead, "proj/crew/joe", "--agent", QUIET, check=False),
                "cannot start")
    assert beads_state(town) == before  # no convoy either: it comes after the wake
    why = run(["git", "log", "-1", "--format=%s", "beads"], town / "proj" / ".repo.git").stdout
    assert why.startswith(f"give back {bead}: cannot start")
    verified(town)


def test_a_forced_resling_that_fails_gives_the_bead_back_to_its_holder(town: Path) -> None:
    bead = new_bead(town)
    gt(town, "sling", bead, "proj/polecats/ace", "--no-convoy", "--agent", QUIET)
    gt(town, "crew", "add", "joe", "--rig", "proj")
    shutil.rmtree(town / "proj" / "crew" / "joe")
    before = beads_state(town)
    failed_once(gt(town, "sling", bead, "proj/crew/joe", "--force", "--agent", QUIET,
                   check=False), "cannot start")
    assert beads_state(town) == before
    assert before[bead]["assignee"] == "proj/polecats/ace"
    verified(town)


@pytest.mark.slow
def test_slings_racing_for_one_rig_each_take_their_own_polecat(town: Path) -> None:
    count = 8
    beads = [new_bead(town, f"Race {n}") for n in range(count)]
    gt(town, "sling", new_bead(town, "Warm-up"), "proj", "--no-convoy", "--agent", QUIET)
    processes = [subprocess.Popen([*GT, "sling", bead, "proj", "--no-convoy", "--agent", QUIET,
                                   "--json"], cwd=town, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for bead in beads]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read())  # type: ignore[union-attr]
               for p in processes]
    failures = [(status, err) for status, _out, err in results if status != 0]
    assert failures == [], failures
    agents = [json.loads(out)["agent"] for _status, out, _err in results]
    assert len(set(agents)) == count, agents
    assert "proj/polecats/nux" not in agents  # the warm-up's polecat was busy
    for bead, agent in zip(beads, agents, strict=True):
        shown = json.loads(bd(town, "show", bead, "--json").stdout)
        assert shown["status"] == "hooked" and shown["assignee"] == agent
        name = agent.rsplit("/", 1)[1]
        assert run(["git", "-C", str(town / "proj" / "polecats" / name), "branch",
                    "--show-current"], town).stdout.strip() == f"polecat/{name}/{bead}"
    verified(town)


def test_queued_work_whose_dispatch_fails_stays_queued(town: Path) -> None:
    """The queue's entry (its fields and label) comes back with the hook."""
    gt(town, "config", "default-agent", QUIET)
    gt(town, "rig", "config", "proj", "max_polecats", "1")
    busy, waiting = new_bead(town, "Busy"), new_bead(town, "Waiting")
    gt(town, "sling", busy, "proj", "--no-convoy")
    assert json.loads(gt(town, "sling", waiting, "proj", "--no-convoy", "--json")
                      .stdout)["queued"]
    entry = json.loads(gt(town, "queue", "list", "--json").stdout)
    gt(town, "unsling", "proj/polecats/nux")
    (town / "proj" / "polecats").rename(town / "proj" / "polecats-away")
    (town / "proj" / "polecats").write_text("a file where the polecats' directory was\n")
    gt(town, "queue", "dispatch", check=False)
    assert json.loads(gt(town, "queue", "list", "--json").stdout) == entry
    shown = json.loads(bd(town, "show", waiting, "--json").stdout)
    assert shown["status"] == "open" and not shown.get("assignee")
    assert "queued" in shown["labels"]
    verified(town)


def test_a_formula_slung_where_work_must_wait_is_refused_and_nothing_is_poured(
        town: Path) -> None:
    gt(town, "rig", "config", "proj", "max_polecats", "1")
    gt(town, "sling", new_bead(town, "Busy"), "proj", "--no-convoy", "--agent", QUIET)
    bead = new_bead(town)
    before = beads_state(town)
    failed_once(gt(town, "sling", "polecat-work", "proj", "--on", bead, "--agent", QUIET,
                   check=False), "the queue holds beads, not formulas")
    assert beads_state(town) == before

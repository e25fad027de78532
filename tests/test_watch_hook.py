"""bd's reference-transaction hook: a ledger move made without bd rewrites the workspace's
`last-change` file (what Beads' tools watch), a hook already there keeps running first with
its own exit status, gt's shim is left to do the same job, and a hooks directory inside the
work tree gets nothing (git status stays clean)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from beads import gitdir, watchhook
from gt import githooks
from tests.conftest import git, run_bd

USER_HOOK = """#!/bin/sh
# someone's own hook: records what it saw, refuses refs/heads/forbidden
cat >> "$(git rev-parse --git-common-dir)/user-hook.log"
echo "state $1" >> "$(git rev-parse --git-common-dir)/user-hook.log"
if [ "$1" = prepared ] && grep -q ' refs/heads/forbidden$' \\
        "$(git rev-parse --git-common-dir)/user-hook.log"; then
    exit 1
fi
exit 0
"""


def last_change(repo: Path) -> str:
    return (repo / ".git" / "beads" / "workspace" / "last-change").read_text()


def hook(repo: Path) -> Path:
    return repo / ".git" / "hooks" / watchhook.HOOK_NAME


def init(repo: Path, *args: str) -> dict[str, object]:
    done = run_bd(repo, "init", "--prefix", "wh", "--json", *args, check=True)
    return json.loads(done.stdout)


def doctor_check(repo: Path, *args: str) -> dict[str, object]:
    done = run_bd(repo, "doctor", "--json", *args)
    [check] = [c for c in json.loads(done.stdout)["checks"] if c["name"] == "watch hook"]
    return check


def test_a_ledger_move_without_bd_rewrites_last_change(repo: Path) -> None:
    made = init(repo)
    assert "installed" in str(made["watch_hook"])
    run_bd(repo, "create", "One", check=True)
    run_bd(repo, "create", "Two", check=True)
    before = last_change(repo)
    git(repo, "update-ref", "refs/heads/beads", "refs/heads/beads~1")  # no bd involved
    assert last_change(repo) != before
    titles = [b["title"] for b in json.loads(run_bd(repo, "list", "--json").stdout)]
    assert titles == ["One"]
    # Other refs move without a word to the watchers.
    settled = last_change(repo)
    git(repo, "commit", "-q", "--allow-empty", "-m", "work on main")
    git(repo, "update-ref", "refs/heads/beads-notes", "HEAD")
    assert last_change(repo) == settled
    assert git(repo, "status", "--porcelain") == ""
    assert doctor_check(repo)["status"] == "ok"


def test_a_hook_already_there_runs_first_and_keeps_its_say(repo: Path) -> None:
    hook(repo).parent.mkdir(parents=True, exist_ok=True)
    hook(repo).write_text(USER_HOOK)
    hook(repo).chmod(0o755)
    made = init(repo)
    assert "kept as reference-transaction.bd-chained" in str(made["watch_hook"])
    assert (hook(repo).parent / "reference-transaction.bd-chained").read_text() == USER_HOOK
    run_bd(repo, "create", "One", check=True)
    run_bd(repo, "create", "Two", check=True)
    before = last_change(repo)
    git(repo, "update-ref", "refs/heads/beads", "refs/heads/beads~1")
    assert last_change(repo) != before
    log = (repo / ".git" / "user-hook.log").read_text()
    assert " refs/heads/beads\nstate prepared\n" in log and "state committed" in log
    # The user's hook still refuses what it refuses: its exit status is the hook's.
    refused = subprocess.run(["git", "update-ref", "refs/heads/forbidden", "HEAD"], cwd=repo,
                             capture_output=True, text=True)
    assert refused.returncode != 0
    assert "forbidden" not in git(repo, "for-each-ref", "--format=%(refname)")
    # Installing again changes nothing and chains nothing twice.
    assert watchhook.install(gitdir.find(repo))[1].endswith("present")
    assert not (hook(repo).parent / "reference-transaction.bd-chained.bd-chained").exists()


def test_gt_shim_does_the_same_job_and_bd_leaves_it(repo: Path) -> None:
    githooks.install(repo / ".git", python=sys.executable)
    init(repo)
    assert githooks.is_shim(hook(repo))
    assert not (hook(repo).parent / "reference-transaction.bd-chained").exists()
    assert watchhook.state(gitdir.find(repo))[0] == watchhook.BY_GT
    run_bd(repo, "create", "One", check=True)
    run_bd(repo, "create", "Two", check=True)
    before = last_change(repo)
    git(repo, "update-ref", "refs/heads/beads", "refs/heads/beads~1")
    assert last_change(repo) != before  # gt's hook path rewrote it
    assert doctor_check(repo)["status"] == "ok"


def test_gt_installed_after_bd_runs_bd_hook_as_its_chained_one(repo: Path) -> None:
    hook(repo).parent.mkdir(parents=True, exist_ok=True)
    hook(repo).write_text(USER_HOOK)
    hook(repo).chmod(0o755)
    init(repo)
    githooks.install(repo / ".git", python=sys.executable)
    run_bd(repo, "create", "One", check=True)
    run_bd(repo, "create", "Two", check=True)
    git(repo, "update-ref", "refs/heads/beads", "refs/heads/beads~1")
    log = (repo / ".git" / "user-hook.log").read_text()
    assert "state committed" in log  # gt's shim -> bd's hook -> the user's hook


def test_skip_hooks_and_doctor_fix(repo: Path) -> None:
    made = init(repo, "--skip-hooks")
    assert made["watch_hook"] is None and not hook(repo).exists()
    check = doctor_check(repo)
    assert check["status"] == "warning" and "bd doctor --fix" in str(check["fix"])
    fixed = doctor_check(repo, "--fix")
    assert fixed["fixed"] is True and hook(repo).is_file()
    assert doctor_check(repo)["status"] == "ok"


@pytest.mark.parametrize("hooks_path", [".husky", "."])
def test_a_hooks_directory_in_the_work_tree_gets_nothing(repo: Path, hooks_path: str) -> None:
    git(repo, "config", "core.hooksPath", hooks_path)
    done = run_bd(repo, "init", "--prefix", "wh", check=True)
    assert "inside the work tree" in done.stdout
    assert not (repo / hooks_path / watchhook.HOOK_NAME).exists()
    assert git(repo, "status", "--porcelain") == ""
    check = doctor_check(repo, "--fix")
    assert check["status"] == "warning" and check["fixed"] is False
    assert "inside the work tree" in str(check["message"])
    assert git(repo, "status", "--porcelain") == ""

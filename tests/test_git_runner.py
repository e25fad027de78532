"""The one git runner (`beads.gitrun`): the real git CLI, real repositories and a real hook.

Inside a git hook, git's location variables name the hook's repository (and during a push,
its quarantine): a command about another repository must not inherit them, one about the
hook's own repository must. Identity survives the cleaning; failures and timeouts are one
line naming git's first complaint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from beads import Ledger, gitrun
from gt.errors import GtError
from gt.git import git as gt_git
from tests.conftest import git, run_bd

# Run by the remote's pre-receive hook, with git's environment: asks git about another
# repository, commits there, and asks about the pushed commit in the hook's own repository.
HOOK_SCRIPT = """
import json, os, sys
from beads import gitrun
other, report = sys.argv[1], sys.argv[2]
new = sys.stdin.read().split()[1]
facts = {"env": sorted(name for name in os.environ if name.startswith("GIT_"))}
facts["other_dir"] = gitrun.run(("rev-parse", "--absolute-git-dir"), cwd=other).stdout.strip()
gitrun.run(("commit", "-q", "--allow-empty", "-m", "from a hook"), cwd=other)
facts["pushed_seen_cleaned"] = gitrun.run(("cat-file", "-e", new), check=False).returncode
facts["pushed_type_in_hook"] = gitrun.run(("cat-file", "-t", new),
                                          inside_hook=True).stdout.strip()
with open(report, "w") as handle:
    json.dump(facts, handle)
"""


def test_a_command_run_from_a_push_hook_acts_on_the_repository_it_names(
        tmp_path: Path, repo: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    other = tmp_path / "other"
    git(tmp_path, "init", "-q", "-b", "main", str(other))
    script, report = tmp_path / "hook.py", tmp_path / "report.json"
    script.write_text(HOOK_SCRIPT)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{script}' '{other}' '{report}'\n")
    hook.chmod(0o755)
    (repo / "README").write_text("pushed\n")
    git(repo, "commit", "-qam", "pushed")
    pushed = subprocess.run(["git", "push", "-q", str(remote), "main"], cwd=repo,
                            capture_output=True, text=True)
    assert pushed.returncode == 0, pushed.stderr
    facts = json.loads(report.read_text())
    # the hook really ran in git's quarantine environment
    assert {"GIT_DIR", "GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY",
            "GIT_ALTERNATE_OBJECT_DIRECTORIES"} <= set(facts["env"])
    assert Path(facts["other_dir"]) == (other / ".git").resolve()
    log = git(other, "log", "-1", "--format=%an <%ae>|%cn|%s").strip()
    assert log == "Test Person <test@example.com>|Test Person|from a hook"
    # cleaned, the hook's cwd (the remote) knows only accepted objects; inside_hook sees
    # the pushed commit in quarantine
    assert facts["pushed_seen_cleaned"] != 0
    assert facts["pushed_type_in_hook"] == "commit"


def test_the_environment_keeps_identity_and_connection_and_drops_location() -> None:
    environ = {
        "PATH": "/bin", "HOME": "/home/x",
        "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@x", "GIT_AUTHOR_DATE": "@0 +0000",
        "GIT_COMMITTER_NAME": "C", "GIT_COMMITTER_EMAIL": "c@x",
        "GIT_SSH_COMMAND": "ssh -i key", "GIT_ASKPASS": "/bin/ask", "GIT_EXEC_PATH": "/git",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "a.b",
        "GIT_CONFIG_VALUE_0": "c", "GIT_HTTP_USER_AGENT": "ua", "GIT_TRACE": "1",
        "GIT_DIR": ".", "GIT_WORK_TREE": "/w", "GIT_INDEX_FILE": "/i",
        "GIT_OBJECT_DIRECTORY": "/o", "GIT_ALTERNATE_OBJECT_DIRECTORIES": "/a",
        "GIT_QUARANTINE_PATH": "/q", "GIT_COMMON_DIR": "/c", "GIT_NAMESPACE": "n",
        "GIT_PREFIX": "sub/", "GIT_CONFIG_PARAMETERS": "'x.y'='z'", "GIT_CONFIG": "/f",
        "GIT_PUSH_OPTION_COUNT": "0", "GIT_REFLOG_ACTION": "push",
    }
    kept = gitrun.clean_env(environ)
    assert sorted(set(environ) - set(kept)) == sorted([
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH", "GIT_COMMON_DIR",
        "GIT_NAMESPACE", "GIT_PREFIX", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG",
        "GIT_PUSH_OPTION_COUNT", "GIT_REFLOG_ACTION"])
    assert all(kept[name] == environ[name] for name in kept)


def test_a_stray_git_dir_does_not_redirect_a_command(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, repo: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    git(tmp_path, "init", "-q", str(elsewhere))
    monkeypatch.setenv("GIT_DIR", str(elsewhere / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "stray-index"))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Kept Author")
    (repo / "README").write_text("changed\n")
    gitrun.run(("commit", "-qam", "here"), cwd=repo)
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert git(repo, "log", "-1", "--format=%an|%s").strip() == "Kept Author|here"
    unborn = subprocess.run(["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=elsewhere)
    assert unborn.returncode != 0
    assert not (tmp_path / "stray-index").exists()


def test_a_failure_names_the_command_and_git_first_error_line(tmp_path: Path,
                                                               repo: Path) -> None:
    missing = tmp_path / "no-such-remote"
    with pytest.raises(gitrun.GitError) as raised:
        gitrun.run(("fetch", "-q", str(missing)), cwd=repo)
    assert raised.value.message == \
        f"git fetch failed: fatal: '{missing}' does not appear to be a git repository"
    # a refused push: git's `error:` line, not its leading "To <remote>" nor a trailing hint
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    git(repo, "commit", "-q", "--amend", "-m", "rewritten")
    with pytest.raises(gitrun.GitError) as raised:
        gitrun.run(("push", str(remote), "main"), cwd=repo)
    assert raised.value.message == f"git push failed: error: failed to push some refs to " \
        f"'{remote}'"
    # no output at all: the exit status
    (repo / "README").write_text("dirty\n")
    result = gitrun.run(("diff", "--quiet"), cwd=repo, check=False)
    assert (result.returncode, gitrun.error_line(result)) == (1, "exit status 1")
    # gt's layer: the same line as a GtError
    with pytest.raises(GtError, match=r"^git diff failed: exit status 1$"):
        gt_git("diff", "--quiet", cwd=repo)


def test_bd_sync_reports_the_first_line_of_a_failed_fetch(repo: Path) -> None:
    Ledger.init(repo, "gt", actor="alice")
    git(repo, "remote", "add", "nowhere", str(repo.parent / "nowhere.git"))
    result = run_bd(repo, "sync", "--remote", "nowhere")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (f"bd: git fetch nowhere failed: fatal: "
                             f"'{repo.parent / 'nowhere.git'}' does not appear to be a git "
                             "repository\n")


def test_a_command_that_outlives_its_timeout_is_one_line(repo: Path) -> None:
    git(repo, "config", "alias.pause", "!sleep 10")
    started = time.monotonic()
    with pytest.raises(gitrun.GitError) as raised:
        gitrun.run(("pause",), cwd=repo, timeout=0.5)
    assert raised.value.message == "git pause timed out after 0.5 s"
    assert time.monotonic() - started < 5
    with pytest.raises(GtError, match=r"^git pause timed out after 0\.5 s$"):
        gt_git("pause", cwd=repo, timeout=0.5)


def test_a_missing_git_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(gitrun.GitError, match=r"^cannot run git status: No such file"):
        gitrun.run(("status",), cwd=tmp_path)


def test_hostile_output_is_data(tmp_path: Path, repo: Path) -> None:
    name = os.fsdecode(b"caf\xe9 $(touch pwned); rm -rf x")
    (repo / name).write_bytes(b"data\n")
    listed = gitrun.run(("ls-files", "-z", "--others"), cwd=repo).stdout.rstrip("\0")
    assert listed == name and (repo / listed).is_file()
    with pytest.raises(gitrun.GitError) as raised:
        gitrun.run(("rev-parse", "--verify", name), cwd=repo)
    raised.value.message.encode("utf-8")  # printable: invalid bytes were replaced
    assert not (repo / "pwned").exists()

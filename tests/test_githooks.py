"""Git hook shims: real repositories, the real git CLI, and the shims run by git itself.

The shims must tell gt when refs move (a line in <git dir>/beads/reactor.poke), keep any
hook they replaced working exactly as before, and never fail or clutter a git command, even
when gt itself cannot run.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gt import githooks
from gt.errors import GtError
from tests.gt_helpers import make_project

# `gt` with the hooks commands registered (harmless once gt/cli/main.py registers them too).
LAUNCH = ("from gt.cli.main import cli; from gt.cli import githooks; "
          "githooks.register(cli); cli(prog_name='gt')")
GT = [sys.executable, "-c", LAUNCH]
PLAIN_PATH = "/usr/bin:/bin"  # git and sh, but no gt

# An existing hook: logs its state and input, and vetoes "prepared" while a `veto` file exists.
LOGGING_HOOK = """#!/bin/sh
# someone's own reference-transaction hook
log="$(git rev-parse --git-common-dir)/../chained.log"
while read -r old new ref; do echo "$1 $ref" >> "$log"; done
if [ "$1" = prepared ] && [ -e veto ]; then echo "vetoed by the old hook" >&2; exit 1; fi
exit 0
"""


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None,
        stdin: str = "", check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True, text=True,
                            env={**os.environ, **(env or {})}, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"{argv} failed ({result.returncode}):\n{result.stderr}")
    return result


def git(cwd: Path, *args: str, env: dict[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(["git", *args], cwd, env, check=check)


def pokes(common_dir: Path) -> list[list[str]]:
    path = githooks.poke_path(common_dir)
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def poked_refs(common_dir: Path) -> set[str]:
    return {word for line in pokes(common_dir) for word in line[2:]}


def gt_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "gt hook" in line or "gt _hook" in line]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def test_update_ref_and_commit_poke_quietly(project: Path) -> None:
    dot_git = project / ".git"
    assert githooks.status(dot_git) == {"reference-transaction": "absent",
                                     "post-receive": "absent"}
    githooks.install(dot_git)
    head = git(project, "rev-parse", "HEAD").stdout.strip()
    result = git(project, "update-ref", "refs/heads/beads", head)
    assert result.stdout == result.stderr == ""
    [line] = pokes(dot_git)
    assert line[1:] == ["reference-transaction", "refs/heads/beads"]
    assert float(line[0]) > 1e9
    git(project, "update-ref", "refs/mr/gt-1", head)
    assert pokes(dot_git)[-1][1:] == ["reference-transaction", "refs/mr/gt-1"]
    # refs the town does not react to (a branch of the project, HEAD) cost no gt call
    count = len(pokes(dot_git))
    (project / "app.py").write_text("VALUE = 2\n")
    result = git(project, "commit", "-qam", "second")
    assert result.stderr == ""
    git(project, "checkout", "-q", "--detach")
    assert len(pokes(dot_git)) == count


def test_install_twice_is_the_same_and_status_reports(project: Path) -> None:
    dot_git = project / ".git"
    first = githooks.install(dot_git)
    assert all(": installed in " in line for line in first)
    shims = {name: (dot_git / "hooks" / name).read_bytes() for name in githooks.GIT_HOOKS}
    second = githooks.install(dot_git)
    assert all(": unchanged in " in line for line in second)
    for name, text in shims.items():
        path = dot_git / "hooks" / name
        assert path.read_bytes() == text
        assert stat.S_IMODE(path.stat().st_mode) == 0o755
        assert not (dot_git / "hooks" / (name + githooks.CHAINED_SUFFIX)).exists()
        assert githooks.MARKER in text.decode() and sys.executable in text.decode()
    assert githooks.status(dot_git) == {"reference-transaction": "installed",
                                     "post-receive": "installed"}
    assert githooks.uninstall(dot_git) == ["reference-transaction: removed",
                                        "post-receive: removed"]
    assert githooks.status(dot_git) == {"reference-transaction": "absent",
                                     "post-receive": "absent"}


def test_chained_hook_runs_and_keeps_its_veto(project: Path) -> None:
    dot_git = project / ".git"
    original = dot_git / "hooks" / "reference-transaction"
    original.write_text(LOGGING_HOOK)
    original.chmod(0o750)
    assert githooks.status(dot_git)["reference-transaction"] == "foreign"
    done = githooks.install(dot_git)
    assert "kept as reference-transaction.gt-chained" in done[0]
    githooks.install(dot_git)  # again: the shim is rewritten, never chained to itself
    assert (dot_git / "hooks" / "reference-transaction.gt-chained").read_text() == LOGGING_HOOK
    assert githooks.status(dot_git) == {"reference-transaction": "chained",
                                     "post-receive": "installed"}
    head = git(project, "rev-parse", "HEAD").stdout.strip()
    git(project, "update-ref", "refs/heads/beads", head)
    log = (project / "chained.log").read_text().splitlines()
    assert log == ["prepared refs/heads/beads", "committed refs/heads/beads"]
    assert poked_refs(dot_git) == {"refs/heads/beads"}
    # the old hook still vetoes a prepared transaction; the ref does not move, nothing is poked
    (project / "veto").touch()
    result = git(project, "update-ref", "refs/mr/one", head, check=False)
    assert result.returncode != 0 and "vetoed by the old hook" in result.stderr
    assert git(project, "rev-parse", "-q", "--verify", "refs/mr/one", check=False).stdout == ""
    assert poked_refs(dot_git) == {"refs/heads/beads"}
    (project / "veto").unlink()
    git(project, "update-ref", "refs/mr/one", head)
    assert poked_refs(dot_git) == {"refs/heads/beads", "refs/mr/one"}
    # uninstall puts the original back, byte for byte and with its mode
    assert githooks.uninstall(dot_git)[0] == \
        "reference-transaction: removed; restored the original hook"
    assert original.read_text() == LOGGING_HOOK
    assert stat.S_IMODE(original.stat().st_mode) == 0o750
    assert not (dot_git / "hooks" / "reference-transaction.gt-chained").exists()
    assert githooks.status(dot_git) == {"reference-transaction": "foreign",
                                     "post-receive": "absent"}


def test_reentry_guard_runs_only_the_chained_hook(project: Path) -> None:
    dot_git = project / ".git"
    (dot_git / "hooks" / "reference-transaction").write_text(LOGGING_HOOK)
    (dot_git / "hooks" / "reference-transaction").chmod(0o755)
    githooks.install(dot_git)
    head = git(project, "rev-parse", "HEAD").stdout.strip()
    git(project, "update-ref", "refs/heads/beads", head, env={"GT_HOOK_ACTIVE": "1"})
    assert pokes(dot_git) == []
    assert (project / "chained.log").read_text().splitlines() == \
        ["prepared refs/heads/beads", "committed refs/heads/beads"]


def test_a_broken_gt_never_blocks_commit_fetch_or_push(tmp_path: Path, project: Path) -> None:
    assert shutil.which("gt", path=PLAIN_PATH) is None
    env = {"PATH": PLAIN_PATH}
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(project), str(remote))
    # a crashing "interpreter": a multi-line traceback and a failure
    crashing = tmp_path / "crashing-python"
    crashing.write_text("#!/bin/sh\necho 'Traceback (most recent call last):' >&2\n"
                        "echo '  File \"x\", line 1' >&2\necho 'ImportError: boom' >&2\nexit 1\n")
    crashing.chmod(0o755)
    githooks.install(remote, python=str(crashing))
    githooks.install(project / ".git", python=str(tmp_path / "no" / "such" / "python"))
    git(project, "remote", "add", "origin", str(remote))

    (project / "app.py").write_text("VALUE = 3\n")
    result = git(project, "commit", "-qam", "third", env=env)
    assert result.returncode == 0
    result = git(project, "update-ref", "refs/heads/beads", "HEAD", env=env)
    assert gt_lines(result.stderr) == [result.stderr.strip()]
    assert "cannot run gt" in result.stderr

    result = git(project, "push", "-q", "origin", "main", "beads", env=env)
    # one line per shim run: the remote's reference-transaction and post-receive (each with
    # the last line of the traceback), and the local one updating origin/beads
    lines = [line.removeprefix("remote: ").strip() for line in result.stderr.splitlines()]
    assert sorted(lines) == [
        "gt hook post-receive: ImportError: boom",
        "gt hook reference-transaction: ImportError: boom",
        "gt hook reference-transaction: cannot run gt (tried "
        f"{tmp_path}/no/such/python and gt on PATH): run gt hooks install"]
    assert git(remote, "rev-parse", "main").stdout == git(project, "rev-parse", "main").stdout

    git(tmp_path, "clone", "-q", str(remote), str(tmp_path / "other"))
    other = tmp_path / "other"
    (other / "app.py").write_text("VALUE = 4\n")
    git(other, "commit", "-qam", "fourth")
    git(other, "push", "-q", "origin", "HEAD:beads", env=env)
    result = git(project, "fetch", "-q", "origin", env=env)
    assert len(gt_lines(result.stderr)) == 1 and "Traceback" not in result.stderr
    assert git(project, "rev-parse", "origin/beads").stdout == \
        git(other, "rev-parse", "HEAD").stdout
    assert pokes(project / ".git") == [] and pokes(remote) == []


def test_falls_back_to_gt_on_path(tmp_path: Path, project: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "gt"
    launcher.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -c "
                        f"{shlex.quote(LAUNCH)} \"$@\"\n")
    launcher.chmod(0o755)
    githooks.install(project / ".git", python="/nonexistent/python")
    head = git(project, "rev-parse", "HEAD").stdout.strip()
    result = git(project, "update-ref", "refs/mr/two", head,
                 env={"PATH": f"{bin_dir}:{PLAIN_PATH}"})
    assert result.stderr == ""
    assert pokes(project / ".git")[0][1:] == ["reference-transaction", "refs/mr/two"]


def test_post_receive_pokes_the_bare_repository_pushed_to(tmp_path: Path,
                                                         project: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(project), str(remote))
    githooks.install(remote)
    git(project, "push", "-q", str(remote), "HEAD:refs/mr/gt-abc", "HEAD:refs/heads/beads")
    by_hook: dict[str, set[str]] = {}
    for line in pokes(remote):
        by_hook.setdefault(line[1], set()).update(line[2:])
    assert by_hook["post-receive"] == {"refs/mr/gt-abc", "refs/heads/beads"}
    assert by_hook["reference-transaction"] == {"refs/mr/gt-abc", "refs/heads/beads"}
    assert pokes(project / ".git") == []


def test_hook_command_is_quiet_hidden_and_never_fails(tmp_path: Path, project: Path) -> None:
    dot_git = project / ".git"
    line = "0" * 40 + " " + "1" * 40 + " refs/heads/beads\n"
    fast = [sys.executable, "-P", "-m", "gt.githooks", "_hook"]
    for argv in ([*fast, "reference-transaction", "prepared"],
                 [*fast, "reference-transaction", "aborted"],
                 [*fast, "pre-commit"], [*fast], [*GT, "_hook", "nonsense", "--odd"]):
        result = run(argv, project, stdin=line)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert pokes(dot_git) == []
    result = run([*GT, "_hook", "reference-transaction", "committed"], project, stdin=line)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    result = run([*fast, "post-receive"], project, stdin=line + line)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert [p[1:] for p in pokes(dot_git)] == [["reference-transaction", "refs/heads/beads"],
                                               ["post-receive", "refs/heads/beads"]]
    # outside any repository: still exit 0, one line
    outside = tmp_path / "nowhere"
    outside.mkdir()
    result = run([*fast, "post-receive"], outside, stdin=line,
                 env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert result.returncode == 0 and len(result.stderr.strip().splitlines()) == 1
    assert "_hook" not in run([*GT, "--help"], project).stdout


def test_core_hooks_path_is_respected_and_conflicts_refused(project: Path) -> None:
    dot_git = project / ".git"
    git(project, "config", "core.hooksPath", "myhooks")
    githooks.install(dot_git)
    assert (project / "myhooks" / "reference-transaction").is_file()
    assert not (dot_git / "hooks" / "reference-transaction").exists()
    head = git(project, "rev-parse", "HEAD").stdout.strip()
    git(project, "update-ref", "refs/heads/beads", head)
    assert poked_refs(dot_git) == {"refs/heads/beads"}
    githooks.uninstall(dot_git)
    # someone else's hook where ours would go, and another one already in the chained slot
    for name in ("post-receive", "post-receive.gt-chained"):
        (project / "myhooks" / name).write_text(f"#!/bin/sh\n# {name}\n")
    with pytest.raises(GtError, match="move one of them aside"):
        githooks.install(dot_git)
    assert (project / "myhooks" / "post-receive").read_text() == "#!/bin/sh\n# post-receive\n"


def test_gt_hooks_commands_cover_the_town_and_its_rigs(tmp_path: Path, project: Path) -> None:
    town = tmp_path / "town"
    run([*GT, "install", str(town)], tmp_path)
    run([*GT, "rig", "add", "proj", str(project)], town)
    git_dirs = {str(town / ".git"), str(town / "proj" / ".repo.git")}
    run([*GT, "hooks", "install"], town)
    listed = json.loads(run([*GT, "hooks", "status", "--json"], town).stdout)
    assert {item["git_dir"] for item in listed} == git_dirs
    assert all(set(item["hooks"].values()) == {"installed"} for item in listed)
    rig_repo = town / "proj" / ".repo.git"
    head = git(rig_repo, "rev-parse", "main").stdout.strip()
    git(rig_repo, "update-ref", "refs/mr/gt-1", head)
    assert poked_refs(rig_repo) == {"refs/mr/gt-1"}
    assert "no gt hooks" not in run([*GT, "hooks", "uninstall"], town).stdout
    listed = json.loads(run([*GT, "hooks", "status", "--json"], town).stdout)
    assert all(set(item["hooks"].values()) == {"absent"} for item in listed)
    assert "no gt hooks were installed" in run([*GT, "hooks", "uninstall"], town).stdout

"""Signed ledger commits with git's ssh signing, and a remote that requires each pushed
ledger commit to be signed by a key listed for its author."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from beads import Ledger
from tests.conftest import git, run_bd
from tests.gt_helpers import gt


def make_key(directory: Path, name: str) -> Path:
    key = directory / f"{name}_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
                   check=True, capture_output=True)
    return key


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    directory = tmp_path / "keys"
    directory.mkdir()
    return {name: make_key(directory, name) for name in ("alice", "bob", "Carol Jones")}


def allowed_signers(path: Path, keys: dict[str, Path], *names: str) -> Path:
    path.write_text("".join(f'"{name}" {keys[name].with_suffix(".pub").read_text()}'
                            for name in names))
    return path


def sign_with(clone: Path, key: Path) -> None:
    git(clone, "config", "beads.sign", "true")
    git(clone, "config", "beads.signingKey", str(key))


@pytest.fixture
def town_remote(tmp_path: Path, repo: Path, keys: dict[str, Path]) -> tuple[Path, Path, Path]:
    """A validating remote (the town's) that requires signed ledger commits, listing alice,
    bob and Carol Jones; and two clones."""
    Ledger.init(repo, "gt", actor="alice")
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    git(repo, "push", "-q", str(remote), "beads")
    gt(tmp_path, "hooks", "install", "--remote", str(remote))
    allowed_signers(remote / "allowed_signers", keys, "alice", "bob", "Carol Jones")
    git(remote, "config", "beads.requireSigned", "true")
    git(remote, "config", "beads.allowedSigners", "allowed_signers")
    clones = []
    for name in ("one", "two"):
        clone = tmp_path / name
        git(tmp_path, "clone", "-q", str(remote), str(clone))
        git(clone, "update-ref", "refs/heads/beads", "refs/remotes/origin/beads")
        clones.append(clone)
    return remote, clones[0], clones[1]


def rev(path: Path) -> str:
    return git(path, "rev-parse", "refs/heads/beads").strip()


def test_ledger_commits_are_signed_and_git_verifies_them(
        repo: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    Ledger.init(repo, "gt", actor="Carol Jones")
    sign_with(repo, keys["Carol Jones"])
    run_bd(repo, "create", "Signed work", actor="Carol Jones", check=True)
    run_bd(repo, "create", "More", actor="Carol Jones", check=True)
    signers = allowed_signers(tmp_path / "allowed", keys, "Carol Jones")
    checked = subprocess.run(["git", "-c", f"gpg.ssh.allowedSignersFile={signers}",
                              "verify-commit", "beads"], cwd=repo, capture_output=True,
                             text=True)
    assert checked.returncode == 0, checked.stderr
    assert 'Good "git" signature for Carol Jones' in checked.stderr
    unsigned = subprocess.run(["git", "verify-commit", "beads~2"], cwd=repo,
                              capture_output=True, text=True)
    assert unsigned.returncode != 0  # `bd init` ran before signing was asked for
    assert run_bd(repo, "verify", actor="Carol Jones").returncode == 0


def test_git_ssh_signing_config_also_turns_signing_on(
        repo: Path, keys: dict[str, Path], tmp_path: Path) -> None:
    git(repo, "config", "commit.gpgsign", "true")
    git(repo, "config", "gpg.format", "ssh")
    git(repo, "config", "user.signingKey", str(keys["alice"]))
    Ledger.init(repo, "gt", actor="alice")
    signers = allowed_signers(tmp_path / "allowed", keys, "alice")
    checked = subprocess.run(["git", "-c", f"gpg.ssh.allowedSignersFile={signers}",
                              "verify-commit", "beads"], cwd=repo, capture_output=True,
                             text=True)
    assert checked.returncode == 0, checked.stderr


def test_signing_without_a_key_is_a_one_line_error_and_writes_nothing(repo: Path) -> None:
    Ledger.init(repo, "gt", actor="alice")
    before = rev(repo)
    git(repo, "config", "beads.sign", "true")
    result = run_bd(repo, "create", "Work")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "beads.signingKey" in result.stderr and rev(repo) == before
    git(repo, "config", "beads.signingKey", str(repo / "no-such-key"))
    result = run_bd(repo, "create", "Work")
    assert result.returncode == 1 and "cannot sign" in result.stderr
    assert "Traceback" not in result.stderr and rev(repo) == before


def test_a_push_signed_by_the_authors_key_is_accepted(
        town_remote: tuple[Path, Path, Path], keys: dict[str, Path]) -> None:
    remote, one, two = town_remote
    sign_with(one, keys["alice"])
    run_bd(one, "create", "Alice's work", actor="alice", check=True)
    assert json.loads(run_bd(one, "sync", "--json", actor="alice",
                             check=True).stdout)["action"] == "pushed"
    sign_with(two, keys["bob"])
    run_bd(two, "create", "Bob's work", actor="bob", check=True)
    synced = json.loads(run_bd(two, "sync", "--json", actor="bob", check=True).stdout)
    assert synced["action"] == "merged and pushed"  # bob's merge commit is signed too
    assert rev(remote) == rev(two)


def test_a_push_signed_by_another_agents_key_is_refused(
        town_remote: tuple[Path, Path, Path], keys: dict[str, Path]) -> None:
    remote, one, _two = town_remote
    before = rev(remote)
    sign_with(one, keys["bob"])
    run_bd(one, "create", "Pretending to be alice", actor="alice", check=True)
    result = run_bd(one, "sync", actor="alice")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "origin refused the ledger" in result.stderr
    assert f"commit {rev(one)[:10]} by alice" in result.stderr
    assert "not signed by a key the allowed signers list for 'alice'" in result.stderr
    assert rev(remote) == before


def test_an_unsigned_push_is_refused_when_required_and_accepted_when_not(
        town_remote: tuple[Path, Path, Path]) -> None:
    remote, one, _two = town_remote
    before = rev(remote)
    run_bd(one, "create", "Unsigned", actor="alice", check=True)
    result = run_bd(one, "sync", actor="alice")
    assert result.returncode == 1 and "it is not signed" in result.stderr
    assert rev(remote) == before
    git(remote, "config", "beads.requireSigned", "false")
    assert run_bd(one, "sync", actor="alice", check=True).returncode == 0
    assert rev(remote) == rev(one)


def test_a_remote_requiring_signatures_without_its_signers_file_refuses(
        town_remote: tuple[Path, Path, Path], keys: dict[str, Path]) -> None:
    remote, one, _two = town_remote
    (remote / "allowed_signers").unlink()
    sign_with(one, keys["alice"])
    run_bd(one, "create", "Signed", actor="alice", check=True)
    pushed = subprocess.run(["git", "push", "-q", "origin", "beads"], cwd=one,
                            capture_output=True, text=True)
    assert pushed.returncode != 0 and "allowed-signers file" in pushed.stderr

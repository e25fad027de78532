"""Signed ledger commits (git's ssh signing), and a remote that requires them.

Signing: when the repository's git config sets `beads.sign = true` (or git's own
`commit.gpgsign = true` with `gpg.format = ssh`), every ledger commit the store writes,
events and merges alike, carries an ssh signature made by `ssh-keygen -Y sign -n git` in the
`gpgsig` header, where git puts its own: `git verify-commit` and `git log --show-signature`
check it like any signed commit. The key is `beads.signingKey`, else git's
`user.signingKey`: a private key file, or a public key (a file, or the key itself, optionally
after `key::`) whose private half is in the ssh agent. Only ssh signing is supported.

Requiring: a shared remote whose config sets `beads.requireSigned = true` refuses a push
(`beads.remote_check`) unless each ledger commit it adds carries a valid signature by a key
that the remote's allowed-signers file (`beads.allowedSigners`: a path, relative to the
remote's git directory; ssh's `allowed_signers` format) lists for the commit's author. The
principal is the author's name, which is the actor every event of the commit names
(`beads.provenance`), so one agent, or one machine, cannot act as another. The file lives
on the remote, outside every ref: whoever may push cannot edit it; only whoever administers
the remote can.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygit2

from beads.errors import StorageError
from beads.events import one_line
from beads.provenance import author

NAMESPACE = "git"


def _config(config: Any, key: str) -> str | None:
    try:
        value = config[key]
    except (KeyError, TypeError):
        return None
    return str(value) if value else None


def _true(config: Any, key: str) -> bool:
    try:
        return bool(config.get_bool(key))
    except (KeyError, TypeError, pygit2.GitError, ValueError):
        return False


def wants_signing(config: Any) -> bool:
    """Whether this repository's ledger commits are to be signed."""
    if _true(config, "beads.sign"):
        return True
    return _true(config, "commit.gpgsign") and _config(config, "gpg.format") == "ssh"


@dataclass(frozen=True)
class Signer:
    """Signs commit buffers with one ssh key."""

    key: str

    @classmethod
    def from_config(cls, config: Any) -> Signer | None:
        """The signer the repository's config asks for; None when it asks for none."""
        if not wants_signing(config):
            return None
        key = _config(config, "beads.signingKey") or _config(config, "user.signingKey")
        if key is None:
            raise StorageError("ledger commits are to be signed but no key is set: "
                               "`git config beads.signingKey <ssh key file>`")
        return cls(key)

    def sign(self, buffer: str) -> str:
        """An ssh signature of `buffer` in the `git` namespace."""
        literal = self.key.removeprefix("key::")
        with tempfile.TemporaryDirectory(prefix="beads-sign-") as scratch:
            if literal.startswith(("ssh-", "ecdsa-", "sk-")):
                key_file = Path(scratch) / "key.pub"
                key_file.write_text(literal + "\n")
                argv = ["ssh-keygen", "-Y", "sign", "-n", NAMESPACE, "-U", "-f", str(key_file)]
            else:
                argv = ["ssh-keygen", "-Y", "sign", "-n", NAMESPACE, "-f",
                        str(Path(self.key).expanduser())]
            try:
                done = subprocess.run(argv, input=buffer.encode(), capture_output=True,
                                      timeout=60)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise StorageError(f"cannot sign the ledger commit: {exc}") from None
        if done.returncode != 0 or not done.stdout.strip():
            reason = done.stderr.decode(errors="replace").strip().splitlines() or ["?"]
            raise StorageError(f"cannot sign the ledger commit with {one_line(self.key)}: "
                               f"{one_line(reason[-1])}")
        return done.stdout.decode().rstrip("\n")


def create_signed_commit(repo: pygit2.Repository, signer: Signer,
                         signature: pygit2.Signature, message: str, tree: pygit2.Oid,
                         parents: list[pygit2.Oid]) -> pygit2.Oid:
    """Write a signed commit object (no ref moves)."""
    buffer = repo.create_commit_string(signature, signature, message, tree, parents)
    return repo.create_commit_with_signature(buffer, signer.sign(buffer))


def _allowed_signers(repo: pygit2.Repository) -> Path | str:
    """The remote's allowed-signers file, or why there is none to check against."""
    value = _config(repo.config, "beads.allowedSigners")
    if value is None:
        return "beads.allowedSigners is not set"
    path = Path(value).expanduser()
    path = path if path.is_absolute() else Path(repo.path) / path
    return path if path.is_file() else f"the allowed-signers file {path} is missing"


def unsigned_commit(repo: pygit2.Repository, old: pygit2.Oid | None,
                    new: pygit2.Oid) -> str | None:
    """When the repository requires signed ledger commits: why a commit that `new` adds to
    `old` may not come in (not signed, or not by a key listed for its author); else None."""
    if not _true(repo.config, "beads.requireSigned"):
        return None
    allowed = _allowed_signers(repo)
    if isinstance(allowed, str):
        return f"signed ledger commits are required but {allowed}"
    walker = repo.walk(new, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE)
    if old is not None:
        walker.hide(old)
    for commit in walker:
        problem = _signature_problem(commit, allowed)
        if problem is not None:
            return f"commit {str(commit.id)[:10]} by {author(commit)}: {problem}"
    return None


def _signature_problem(commit: pygit2.Commit, allowed: Path) -> str | None:
    signature, payload = commit.gpg_signature
    if not signature or payload is None:
        return "it is not signed, and this remote requires signed ledger commits"
    principal = commit.author.raw_name.decode("utf-8", "replace")
    with tempfile.TemporaryDirectory(prefix="beads-verify-") as scratch:
        sig_file = Path(scratch) / "commit.sig"
        sig_file.write_bytes(signature)
        try:
            done = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(allowed),
                                   "-I", principal, "-n", NAMESPACE, "-s", str(sig_file)],
                                  input=payload, capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"its signature cannot be checked ({one_line(str(exc))})"
    if done.returncode != 0:
        return (f"it is not signed by a key the allowed signers list for "
                f"'{one_line(principal, 60)}'")
    return None

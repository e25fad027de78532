"""Merging divergent ledgers, and `bd sync`: fetch, merge, push through any git remote.

Two ledger tips merge by merging their trees (`beads.treemerge`). The result depends only on
the two tips, not on which side merges, so every clone reaches the identical tree. The merge
commit has both tips as parents and carries no events of its own: the events are in the
parents' history.

Nothing fetched is merged unchecked (`check_incoming`): each commit the remote's ledger adds
is checked against its parents, as the remote's pre-receive hook checks a push, so a remote
without that hook cannot pass a forged commit on; a refused ledger leaves the local one as it
was, and nothing is pushed.

Two clones that minted the same id for different beads (child ids `<parent>.N` are the likely
case) are told apart by the create that made each (`beads.twins`): the earlier keeps the id,
the later is renamed `<id>-<6 hex of its create event>`, and its side's own links follow it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pygit2

from beads import gitdir, gitrun
from beads.errors import StorageError
from beads.events import format_message, one_line, parse_message
from beads.treemerge import merged_tree
from beads.verify import first_failure, verify_new


@dataclass
class SyncReport:
    remote: str
    action: str = "up to date"
    events_in: int = 0
    events_out: int = 0
    attempts: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"remote": self.remote, "action": self.action, "events_in": self.events_in,
                "events_out": self.events_out, "attempts": self.attempts, "notes": self.notes}


def _events(repo: pygit2.Repository, head: pygit2.Oid, hide: pygit2.Oid | None) -> int:
    walker = repo.walk(head, pygit2.enums.SortMode.TOPOLOGICAL)
    if hide is not None:
        walker.hide(hide)
    return sum(len(parse_message(c.message)) for c in walker)


def sync(ledger: Any, remote: str = "origin", attempts: int = 10) -> SyncReport:
    """Fetch the remote's ledger, merge it in, push the result (with a lease); retry when
    someone pushed in between."""
    repo: pygit2.Repository = ledger.repo
    dirs: gitdir.GitDirs = ledger.dirs
    tracking = f"refs/remotes/{remote}/beads"
    report = SyncReport(remote)
    ledger.store.tip()  # a broken ledger ref is named here, before git's fetch trips on it
    for attempt in range(1, attempts + 1):
        report.attempts = attempt
        fetched = gitrun.run(("fetch", "-q", remote, f"+{gitdir.BEADS_REF}:{tracking}"),
                             git_dir=dirs.common_dir, check=False,
                             timeout=gitrun.REMOTE_TIMEOUT)
        missing = fetched.returncode != 0 and "couldn't find remote ref" in fetched.stderr
        if fetched.returncode != 0 and not missing:
            raise StorageError(f"git fetch {remote} failed: {gitrun.error_line(fetched)}")
        theirs = None if missing else repo.references[tracking].target
        if theirs is not None:
            action, count = integrate(ledger, theirs, remote)
            report.events_in += count
            if action != "up to date":
                report.action = action
        ours = ledger.store.tip()
        if ours == theirs:
            return report
        lease = str(theirs) if theirs is not None else ""
        pushed = gitrun.run(("push", "--atomic", "--porcelain",
                             f"--force-with-lease={gitdir.BEADS_REF}:{lease}", remote,
                             f"{ours}:{gitdir.BEADS_REF}"), git_dir=dirs.common_dir,
                            check=False, timeout=gitrun.REMOTE_TIMEOUT)
        if pushed.returncode == 0:
            report.events_out += _events(repo, ours, theirs)
            report.action = "pushed" if report.action == "up to date" else \
                f"{report.action} and pushed"
            return report
        if "[remote rejected]" in pushed.stdout:
            raise StorageError(f"{remote} refused the ledger: {_hook_reason(pushed.stderr)}")
        report.notes.append(f"push refused (someone pushed first); attempt {attempt}")
    raise StorageError(f"bd sync gave up after {attempts} attempts: {remote} keeps moving")


def _hook_reason(stderr: str) -> str:
    """What the remote's hook said (its `remote: ` lines), as one line."""
    said = [line.removeprefix("remote: ").strip() for line in stderr.splitlines()
            if line.startswith("remote: ") and line.strip() != "remote:"]
    return one_line("; ".join(said) or "its pre-receive hook declined the push", 400)


class IncomingRefused(StorageError):
    """A fetched ledger holds a commit that the remote's own check would refuse."""

    code = "refused"


def check_incoming(repo: pygit2.Repository, ours: pygit2.Oid | None, theirs: pygit2.Oid,
                   source: str) -> None:
    """Refuse `theirs` unless each commit it adds to `ours` (every commit, with no `ours`)
    is right against its parents (`verify_new`, the remote's pre-receive check): a remote
    without that hook, or a compromised one, must not slip a forged commit into this
    ledger."""
    if not isinstance(repo.get(theirs), pygit2.Commit):
        raise IncomingRefused(f"refusing {source}'s ledger: its ref names no commit "
                              f"({str(theirs)[:10]}); the local ledger is unchanged")
    failure = first_failure(verify_new(repo, ours, theirs))
    if failure is not None:
        raise IncomingRefused(f"refusing {source}'s ledger: {failure}; "
                              "the local ledger is unchanged")


def integrate(ledger: Any, theirs: pygit2.Oid, source: str) -> tuple[str, int]:
    """Bring `theirs` into the local ledger once its new commits pass the check
    (`check_incoming`): fast-forward, or a merge commit; returns what was done and how many
    events came in."""
    repo: pygit2.Repository = ledger.repo
    ours = ledger.store.tip()
    if ours is None or ours == theirs:
        return "up to date", 0
    check_incoming(repo, ours, theirs, source)
    if repo.descendant_of(ours, theirs):
        return "up to date", 0
    count = _events(repo, theirs, ours)
    if repo.descendant_of(theirs, ours):
        ledger.store.advance(ours, theirs)
        return "fast-forwarded", count
    _merge_commit(ledger, ours, theirs, source)
    return "merged", count


# The remote-tracking tips this process refused, by (ledger, ref): a long-running caller
# (the reactor) absorbs after every fetch and needs to hear of a refusal once, not each time.
_refused: dict[tuple[str, str], pygit2.Oid] = {}


def absorb_fetched(ledger: Any) -> list[str]:
    """Integrate every remote-tracking ledger ref (`refs/remotes/<remote>/beads`) that a plain
    `git fetch` brought in; returns a line per remote that changed the ledger, or whose
    ledger was refused (once per refused tip; the other remotes are integrated all the
    same)."""
    lines = []
    for name in ledger.repo.references:
        if name.startswith("refs/remotes/") and name.endswith("/beads"):
            remote = name.removeprefix("refs/remotes/").removesuffix("/beads")
            target = ledger.repo.references[name].target
            seen = (str(ledger.dirs.common_dir), name)
            if _refused.get(seen) == target:
                continue
            try:
                action, count = integrate(ledger, target, remote)
            except IncomingRefused as exc:
                _refused[seen] = target
                lines.append(f"{remote}: {exc.message}")
                continue
            if action != "up to date":
                lines.append(f"{remote}: {action}, {count} event(s) in")
    return lines


def _merge_commit(ledger: Any, ours: pygit2.Oid, theirs: pygit2.Oid, remote: str) -> pygit2.Oid:
    repo: pygit2.Repository = ledger.repo
    tree = merged_tree(repo, ours, theirs)
    signature = pygit2.Signature(ledger.actor, ledger.email)
    message = format_message(f"merge {remote}'s ledger", [])
    return ledger.store.commit_merge(ours, theirs, tree, signature, message)

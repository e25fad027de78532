"""Draining the queue in batches: stack requests on the default branch, gate once, bisect.

A batch of up to `batch_size` requests (a rig setting, 1 by default) is stacked on the
branch tip without a checkout, each on top of the one before; the gates run once, on the
stack's tip, in the Refinery's worktree. If they pass, the whole stack lands with one
compare-and-swap of the branch. If they fail, a binary search over the stack's prefixes
finds the first request whose prefix fails. A request is rejected only after two failing
runs on trees that hold it (every failing prefix does): when the search saw just one, its
own prefix runs once more, so a flaky gate gets a second chance. The passing prefix before
it lands. Requests after it
stay queued for the next batch. That lands exactly the set one-at-a-time processing lands,
since each request is judged on the same tree it would have been then: the branch with
every earlier landed request.

A tree whose gates already passed (recorded by tree id) is not gated again: a request
whose base is still the branch tip is pre-verified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beads.errors import BeadsError
from gt.errors import GtError
from gt.git import git, out
from gt.refinery import gates as gate_runner
from gt.refinery import outcomes
from gt.refinery.merge import put_on
from gt.refinery.outcomes import Outcome
from gt.refinery.push import push_branch
from gt.refinery.queue import Request
from gt.rig import Rig

MAX_LAND_ATTEMPTS = 5


@dataclass
class Stats:
    gate_runs: int = 0
    skipped: int = 0


@dataclass
class Stacked:
    request: Request
    bead: dict
    commit: str


@dataclass
class Refinery:
    rig: Rig
    stats: Stats = field(default_factory=Stats)

    @property
    def batch_size(self) -> int:
        return self.rig.settings.batch_size

    @property
    def _verified_file(self) -> Path:
        return self.rig.repo / "beads" / "verified-trees"

    # ------------------------------------------------------------------ gates

    def _clean(self, commit: str) -> None:
        wt = self.rig.refinery_dir
        git("checkout", "-q", "--detach", "-f", commit, cwd=wt)
        git("reset", "-q", "--hard", commit, cwd=wt)
        git("clean", "-q", "-ffdx", cwd=wt)

    def _verified(self, tree: str) -> bool:
        try:
            return tree in self._verified_file.read_text().split()
        except FileNotFoundError:
            return False

    def gate(self, commit: str) -> gate_runner.GateResult | None:
        """Run the gates on `commit`'s tree; None when they pass (or passed before)."""
        tree = out("rev-parse", f"{commit}^{{tree}}", cwd=self.rig.repo)
        if self._verified(tree):
            self.stats.skipped += 1
            return None
        self._clean(commit)
        self.stats.gate_runs += 1
        results = gate_runner.run_all(self.rig.gates(), self.rig.refinery_dir,
                                      dict(self.rig.settings.gate_timeouts))
        failed = next((r for r in results if not r.passed), None)
        if failed is None:
            self._verified_file.parent.mkdir(parents=True, exist_ok=True)
            with open(self._verified_file, "a") as handle:
                handle.write(tree + "\n")
        return failed

    # ------------------------------------------------------------------ batches

    def _bead(self, request: Request) -> dict[str, Any] | None:
        """The request's bead, read once per look; None when the ledger has none."""
        try:
            return self.rig.ledger().get(request.bead)
        except BeadsError:
            return None

    def _validate(self, request: Request, bead: dict[str, Any] | None) -> str | None:
        repo = self.rig.repo
        kind = git("cat-file", "-t", request.commit, cwd=repo, check=False).stdout.strip()
        if kind != "commit":
            return f"{request.ref} points at a {kind or 'missing object'}, not a commit"
        if git("merge-base", self.rig.branch, request.commit, cwd=repo,
               check=False).returncode != 0:
            return f"{request.ref} has no history in common with {self.rig.branch}"
        if bead is None:
            return f"no bead {request.bead} for this merge request"
        if bead["status"] == "closed":
            return f"{request.bead} is already closed"
        return None

    def _landed_already(self, request: Request) -> bool:
        """A request whose commit is on the branch already (a Refinery killed between moving
        the branch and recording it): recorded, never merged twice."""
        return git("merge-base", "--is-ancestor", request.commit, self.rig.branch,
                   cwd=self.rig.repo, check=False).returncode == 0

    @staticmethod
    def _requested(request: Request, bead: dict[str, Any]) -> bool:
        """Whether the ledger records the request (`mr_state` pending at its commit). `gt
        done` points the ref first and records it next: merged in between, the polecat would
        be released before its own `gt done` landed, which then cleared the hook of work
        slung to it meanwhile and marked the merged bead pending again."""
        return bead.get("mr_state") == "pending" and bead.get("mr_commit") == request.commit

    def _recorded_already(self, request: Request, bead: dict[str, Any] | None) -> bool:
        """A request whose merge the ledger records already (a Refinery killed between
        recording it and dropping its ref): only its ref is left to drop."""
        return bead is not None and bead.get("mr_state") == "merged" \
            and bead["status"] == "closed" and self._landed_already(request)

    def process(self, batch: list[Request]) -> list[Outcome]:
        """Take one batch from the head of the queue; returns what became of its requests
        (requests left for a later batch have no outcome yet)."""
        done: list[Outcome] = []
        valid = []
        for request in batch:
            bead = self._bead(request)
            if self._recorded_already(request, bead):
                outcomes.drop_ref(self.rig, request)
                continue
            problem = self._validate(request, bead)
            if problem is not None:
                done.append(outcomes.invalid(self.rig, request, problem))
                continue
            assert bead is not None  # a request without its bead is invalid
            if not self._requested(request, bead):
                continue  # its `gt done` has not reached the ledger yet: left queued
            if self._landed_already(request):
                tip = out("rev-parse", self.rig.branch, cwd=self.rig.repo)
                done += outcomes.merged(self.rig, [(request, bead, tip)],
                                        "landed before a restart")
            else:
                valid.append(request)
        for _attempt in range(MAX_LAND_ATTEMPTS):
            base = out("rev-parse", self.rig.branch, cwd=self.rig.repo)
            stack, conflicts = self._stack(base, valid)
            done += conflicts
            valid = [s.request for s in stack]
            if not stack:
                return done
            settled = self._settle(base, stack)
            if settled is not None:
                return done + settled
        raise GtError(f"{self.rig.branch} kept moving; the batch will be retried")

    def _stack(self, base: str, requests: list[Request]) -> tuple[list[Stacked], list[Outcome]]:
        stack: list[Stacked] = []
        conflicts = []
        tip = base
        for request in requests:
            bead = self.rig.ledger().get(request.bead)
            result = put_on(self.rig, tip, request.commit,
                            f"Merge {request.bead}: {bead['title']}")
            if result.commit is None:
                conflicts.append(outcomes.conflict(self.rig, request, bead, result.conflicts))
                continue
            stack.append(Stacked(request, bead, result.commit))
            tip = result.commit
        return stack, conflicts

    def _settle(self, base: str, stack: list[Stacked]) -> list[Outcome] | None:
        """Gate the stack, bisect on failure, land what passes; None if the branch moved."""
        failure = self.gate(stack[-1].commit)
        if failure is None:
            return self._land(base, stack)
        good, bad = 0, len(stack)  # the prefix of `good` requests passes, of `bad` fails
        failures = 1  # failing runs on trees that hold the culprit: every failing prefix does
        while bad - good > 1:
            middle = (good + bad) // 2
            result = self.gate(stack[middle - 1].commit)
            if result is None:
                good = middle
            else:
                bad, failure, failures = middle, result, failures + 1
        if failures < 2:
            # A flaky gate gets a second chance: run the culprit's own prefix once more.
            failure = self.gate(stack[bad - 1].commit)
            if failure is None:
                return self._land(base, stack[:bad])
        landed = self._land(base, stack[:good]) if good else []
        if landed is None:
            return None
        culprit = stack[bad - 1]
        return [*landed, outcomes.rejected(self.rig, culprit.request, culprit.bead, failure)]

    def _land(self, base: str, stack: list[Stacked]) -> list[Outcome] | None:
        new = stack[-1].commit
        moved = git("update-ref", "-m", f"refinery: merge {len(stack)} request(s)",
                    f"refs/heads/{self.rig.branch}", new, base, cwd=self.rig.repo, check=False)
        if moved.returncode != 0:
            lock = self.rig.repo / "refs" / "heads" / f"{self.rig.branch}.lock"
            if lock.exists():
                raise GtError(f"{self.rig.branch} is locked (refs/heads/{self.rig.branch}.lock)"
                              ": a git process is writing it, or was killed while it did; "
                              "the Deacon removes a stale lock")
            return None
        pushed = push_branch(self.rig, base, new)
        return outcomes.merged(self.rig, [(s.request, s.bead, s.commit) for s in stack], pushed)

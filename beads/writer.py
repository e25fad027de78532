"""The write pipeline of one ledger: plan against tip + wisps, commit by compare-and-swap,
then fold the wisps' events into the overlay.

Protocol of `Writer.write(summary, plan_fn)`:
1. Under the ledger lock, `Store.transact` snapshots the tip and calls `plan_fn` with a
   `View` of it plus the wisp overlay. `plan_fn` checks its rules there (`beads.guards`) and
   returns the intents to record and a result. It may run more than once: when the tip moved
   before the commit, everything is planned again on the new tip, so it must not act outside
   the view it is given.
2. Intents on wisps (`View.is_wisp`) are set aside; the others are stamped, folded
   (`beads.replay`) and committed with the tip as the only parent, in chunks of `chunk`
   events when asked (the ref moves once, to the last: all land or none).
3. Still under the lock, the read cache takes the new commit's documents
   (`Reader.record_commit`), so the next read needs no refresh.
4. Then, under the overlay's lock, the wisp intents are folded onto their overlay copies and
   written back. Their clocks tick past both the tip's lamport and the wisp's own, and never
   advance the ledger's clock.
It returns the plan's result and every document the write produced, by id. A plan that
raises leaves the ledger and the overlay as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from beads import fold
from beads.events import make_event
from beads.model import now_iso
from beads.overlay import Overlay
from beads.reader import Reader
from beads.store import Intent, Plan, Snapshot, Store, Written
from beads.view import View

PlanFn = Callable[[View], tuple[list[Intent], Any]]
# A commit's summary, or what makes it from the plan's result (a plan that chooses what it
# writes about, such as which agent takes a hook, names its choice).
Summary = str | Callable[[Any], str]


class Writer:
    """Writes one ledger as `actor` <`email`>."""

    def __init__(self, store: Store, reader: Reader, overlay: Overlay, actor: str,
                 email: str) -> None:
        self.store = store
        self.reader = reader
        self.overlay = overlay
        self.actor = actor
        self.email = email

    def write(self, summary: Summary, plan_fn: PlanFn, require_init: bool = True,
              chunk: int = 0) -> tuple[Any, dict[str, fold.Doc]]:
        """Plan, commit the committed beads' events, store the wisps' (see the module)."""
        stash: dict[str, Any] = {}

        def plan(snap: Snapshot) -> Plan:
            view = View(snap, self.overlay)
            intents, result = plan_fn(view)
            stash["wisps"] = [i for i in intents if view.is_wisp(i.bead)]
            stash["lamport"] = snap.meta["lamport"]
            committed = [i for i in intents if not view.is_wisp(i.bead)]
            return Plan(summary(result) if callable(summary) else summary, committed, result,
                        chunk)

        def record(written: Written) -> None:
            self.reader.record_commit(str(written.parent) if written.parent else "",
                                      str(written.commit), list(written.batch.docs.values()))

        written = self.store.transact(self.actor, self.email, plan, require_init, record)
        docs = dict(written.batch.docs)
        if stash.get("wisps"):
            docs.update(self._write_wisps(stash["wisps"], stash["lamport"]))
        return written.result, docs

    def _write_wisps(self, intents: list[Intent], lamport: int) -> dict[str, fold.Doc]:
        ts = now_iso()
        with self.overlay.lock:
            docs: dict[str, fold.Doc] = {}
            for intent in intents:
                before = docs.get(intent.bead) or self.overlay.get(intent.bead)
                # Wisp writes never advance the ledger's clock: tick past the wisp's own.
                lamport = max(lamport, fold.highest_lamport(before)) + 1
                event = make_event(intent.op, intent.bead, self.actor, ts, lamport, intent.data)
                docs[intent.bead] = fold.apply(before, event)
            self.overlay.write(docs)
        return docs

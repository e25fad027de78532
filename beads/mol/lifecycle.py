"""A molecule's life after the pour: finishing steps, squashing into a digest, burning.

Each is one write: one ledger commit for a durable molecule; for a wisp, overlay writes and
at most one commit (the digest). Every function reads the molecule through the read cache,
plans against the tip (`beads.writer`), and returns plain data for `--json`.

Burning a durable molecule closes its open steps (reason `burned`) and a root it made; it
never deletes them: history keeps them anyway, other beads may link to them, and closed
steps drop out of `bd ready` just the same. A bead the molecule was poured onto is never
closed by a squash or a burn: its owner closes it (`gt done`); its record says the molecule
was squashed or burned, so another can be poured onto it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from beads import guards
from beads.errors import GuardError, InvalidInput
from beads.model import now_iso
from beads.mol import digest, progress, record
from beads.mol.record import Molecule
from beads.store import Intent
from beads.wisps import burn as burn_wisps

if TYPE_CHECKING:
    from beads.ledger import Ledger
    from beads.view import View


def load(ledger: Ledger, partial: str) -> Molecule:
    return record.load(ledger.db(), partial)


def current_step(ledger: Ledger, partial: str) -> dict[str, Any]:
    """The molecule's progress, its current step in full (None when none can run), and the
    checklist: what an agent is shown."""
    return progress.checklist(load(ledger, partial))


def _active(molecule: Molecule) -> None:
    if molecule.state != record.ACTIVE:
        raise GuardError(f"molecule {molecule.id} was {molecule.state}")


def step_done(ledger: Ledger, partial: str, step: str | None = None,
              reason: str | None = None, force: bool = False) -> dict[str, Any]:
    """Finish a step (by default the current one) and say what is next.

    A durable or materialised step's bead is closed; a root-only wisp records the step in its
    root. A step whose needs are not all done is refused unless `force`. When it was the last
    step and the formula's `[squash]` says `trigger = "on_complete"`, the molecule is
    squashed too (the result then carries `digest`).
    """
    molecule = load(ledger, partial)
    _active(molecule)
    target = molecule.step(step) if step else progress.current(molecule)
    if target is None:
        if progress.complete(molecule):
            raise InvalidInput(f"every step of {molecule.id} is done")
        raise GuardError(f"no step of {molecule.id} can run now: each waits on another")
    if target.done:
        raise InvalidInput(f"step '{target.id}' of {molecule.id} is already done")
    if target.waiting and not force:
        raise GuardError(f"step '{target.id}' waits for {', '.join(target.waiting)} "
                         "(use --force to finish it anyway)")
    root = molecule.id

    def plan_inline(view: View) -> tuple[list[Intent], Any]:
        doc = guards.live(view, root)
        info = record.info_of(doc) or {}
        done = dict(info.get("done") or {})
        if target.id in done:
            raise InvalidInput(f"step '{target.id}' of {root} is already done")
        done[target.id] = {"at": now_iso(), "by": ledger.actor,
                           **({"reason": reason} if reason else {})}
        metadata = {**doc["metadata"], record.INFO_KEY: {**info, "done": done}}
        return [_set_metadata(view, root, metadata)], None

    def plan_bead(view: View) -> tuple[list[Intent], Any]:
        bead = str(target.bead)
        if guards.live(view, bead)["status"] == "closed":
            raise InvalidInput(f"step '{target.id}' ({bead}) is already done")
        return [Intent("close", bead, {"reason": reason} if reason else {})], None

    ledger.write_plan(f"finish step {target.id} of {root}",
                      plan_inline if molecule.inline else plan_bead)
    after = load(ledger, root)
    result = progress.checklist(after)
    result["finished"] = progress.step_view(after.step(target.id))
    if result["complete"] and digest.squashes_on_complete(after):
        result["digest"] = squash(ledger, root)["digest"]
    return result


def squash(ledger: Ledger, partial: str, title: str | None = None,
           force: bool = False) -> dict[str, Any]:
    """Condense a finished molecule into one closed digest bead (see `digest`).

    A durable molecule's steps still open are closed (with `force`), the root it made is
    closed, and its record says `squashed`, with the digest; the digest links to the root
    (`related`). A wisp molecule's root and steps are burned: only the digest is committed.
    """
    molecule = load(ledger, partial)
    _active(molecule)
    done, total = progress.counts(molecule)
    if done < total and not force:
        raise GuardError(f"molecule {molecule.id} is not finished: {total - done} of {total} "
                         "steps open (use --force to squash anyway)")
    spec = digest.build(molecule, title)
    if not molecule.ephemeral:
        spec.deps = [("related", molecule.id)]
    open_steps = [s.bead for s in molecule.steps if s.bead and not s.done]

    def plan(view: View) -> tuple[list[Intent], Any]:
        created = ledger.plan_create(view, spec)
        intents = [created, Intent("close", created.bead, {"reason": "squashed"})]
        if not molecule.ephemeral:
            intents += _retire(view, molecule.id, open_steps, record.SQUASHED,
                               f"squashed into {created.bead}", created.bead)
        return intents, created.bead

    digest_id = ledger.write_plan(f"squash {molecule.id} ({molecule.info.get('formula')})",
                                  plan)
    burned = _burn_wisps(ledger, molecule) if molecule.ephemeral else []
    return {"molecule": molecule.id, "digest": ledger.get(digest_id), "burned": burned,
            "closed": [] if molecule.ephemeral else open_steps}


def burn(ledger: Ledger, partial: str, reason: str | None = None) -> dict[str, Any]:
    """Discard a molecule: a wisp vanishes (nothing committed); a durable one's open steps,
    and the root it made, are closed as burned, in one commit (see the module)."""
    molecule = load(ledger, partial)
    _active(molecule)
    if molecule.ephemeral:
        return {"molecule": molecule.id, "burned": _burn_wisps(ledger, molecule),
                "closed": [], "committed": False}
    open_steps = [s.bead for s in molecule.steps if s.bead and not s.done]
    why = f"burned: {reason}" if reason else "burned"

    def plan(view: View) -> tuple[list[Intent], Any]:
        return _retire(view, molecule.id, open_steps, record.BURNED, why), None

    ledger.write_plan(f"burn {molecule.id} ({molecule.info.get('formula')})", plan)
    return {"molecule": molecule.id, "burned": [], "closed": open_steps, "committed": True}


def _set_metadata(view: View, bead_id: str, metadata: dict[str, Any]) -> Intent:
    return Intent("update", bead_id, {"set": {"metadata": view.vocab.field("metadata",
                                                                           metadata)}})


def _retire(view: View, root: str, open_steps: list[str], state: str, reason: str,
            digest_id: str | None = None) -> list[Intent]:
    """Close the open steps, mark the record, close the root if the molecule made it."""
    intents = []
    for bead in open_steps:
        doc = view.live(bead)
        if doc is not None and doc["status"] != "closed":
            intents.append(Intent("close", bead, {"reason": reason}))
    doc = guards.live(view, root)
    info = {**(record.info_of(doc) or {}), "state": state}
    if digest_id:
        info["digest"] = digest_id
    intents.append(_set_metadata(view, root, {**doc["metadata"], record.INFO_KEY: info}))
    if doc.get("issue_type") == "molecule" and doc["status"] != "closed":
        intents.append(Intent("close", root, {"reason": reason}))
    return intents


def _burn_wisps(ledger: Ledger, molecule: Molecule) -> list[str]:
    wisps = set(ledger.wisp_ids())
    ids = [i for i in [molecule.id, *molecule.step_bead_ids()] if i in wisps]
    return burn_wisps(ledger, ids)

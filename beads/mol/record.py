"""How molecules are stored on beads, and reading one back from the read cache.

Storage (the one place these names are defined):
- A protomolecule bead (`bd cook`): type `molecule`, label `template`, the cooked
  protomolecule in `metadata.protomolecule`.
- A molecule's root: label `molecule` and `metadata.molecule`, a `MoleculeInfo` as data: the
  formula's name, version and variables, the protomolecule (`proto`; its `steps` kept only
  when the steps are not beads), where its step beads are (`first`, `count`: ids
  `<root>.<first>` to `<root>.<first + count - 1>`, in the protomolecule's order), the
  protomolecule bead it was poured from, and `state` (`active`, `squashed`, `burned`). A root
  made by the molecule is of type `molecule`; a bead the molecule was poured onto keeps its
  type. A root-only wisp also keeps `done`: step id -> when, by whom, why.
- A step bead: a child of the root, `metadata.mol_step` holding the formula step's id, type
  and `needs` (and its container, gate and flags when set); each need is a `blocks`
  dependency on that step's bead.

Reading goes through the read cache only (`beads.query`), so it never loads pygit2.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from beads import canonical, query
from beads.errors import InvalidInput

if TYPE_CHECKING:
    from beads.formula import Protomolecule

ROOT_LABEL = "molecule"
TEMPLATE_LABEL = "template"
DIGEST_LABEL = "digest"
PROTO_KEY = "protomolecule"
INFO_KEY = "molecule"
STEP_KEY = "mol_step"

ACTIVE, SQUASHED, BURNED = "active", "squashed", "burned"


def info_of(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The molecule record of a root bead; None for any other bead."""
    meta = doc.get("metadata")
    value = meta.get(INFO_KEY) if isinstance(meta, dict) else None
    return value if isinstance(value, dict) else None


def step_of(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The step record of a step bead; None for any other bead."""
    meta = doc.get("metadata")
    value = meta.get(STEP_KEY) if isinstance(meta, dict) else None
    return value if isinstance(value, dict) else None


def proto_of(doc: dict[str, Any]) -> Protomolecule | None:
    """The protomolecule a `bd cook` bead holds; None for any other bead."""
    meta = doc.get("metadata")
    value = meta.get(PROTO_KEY) if isinstance(meta, dict) else None
    return _from_dict(value) if isinstance(value, dict) else None


def _from_dict(data: dict[str, Any]) -> Protomolecule:
    # The formula package costs ~35 ms to import: only what needs a protomolecule pays.
    from beads.formula import Protomolecule

    return Protomolecule.from_dict(data)


@dataclass
class Step:
    """One step of a molecule as the ledger has it now."""

    id: str
    title: str
    type: str
    needs: list[str]
    status: str
    waiting: list[str]
    bead: str | None = None
    description: str = ""
    acceptance: str = ""
    assignee: str = ""
    updated_at: str = ""
    closed_at: str = ""
    close_reason: str = ""
    failed: bool = False

    @property
    def done(self) -> bool:
        return self.status == "closed"


@dataclass
class Molecule:
    """A molecule's root bead, its record and its steps in the protomolecule's order."""

    root: dict[str, Any]
    info: dict[str, Any]
    steps: list[Step] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.root["id"])

    @property
    def ephemeral(self) -> bool:
        return bool(self.root.get("ephemeral"))

    @property
    def inline(self) -> bool:
        """Whether the steps live in the root's record rather than as beads."""
        return not self.info.get("count") and bool(self.info.get("proto", {}).get("steps"))

    @property
    def state(self) -> str:
        return str(self.info.get("state") or ACTIVE)

    @property
    def proto(self) -> Protomolecule:
        return _from_dict(self.info["proto"])

    def step(self, name: str) -> Step:
        """A step by its formula id or its bead id."""
        for step in self.steps:
            if name in (step.id, step.bead):
                return step
        raise InvalidInput(f"molecule {self.id} has no step {name!r}; its steps are "
                           f"{', '.join(s.id for s in self.steps[:20])}"
                           + (" …" if len(self.steps) > 20 else ""))

    def step_bead_ids(self) -> list[str]:
        first, count = int(self.info.get("first") or 1), int(self.info.get("count") or 0)
        return [f"{self.id}.{n}" for n in range(first, first + count)]


def root_id(db: sqlite3.Connection, partial: str) -> str:
    """The molecule root that `partial` names: the root itself or one of its steps."""
    bead_id = query.resolve(db, partial)
    doc = query.get(db, bead_id)
    if info_of(doc) is None and step_of(doc) is not None and doc.get("parent"):
        return str(doc["parent"])
    if info_of(doc) is None:
        if proto_of(doc) is not None:
            raise InvalidInput(f"{bead_id} is a protomolecule, not a molecule: pour it with "
                               f"`bd mol pour {bead_id}` or `bd mol wisp {bead_id}`")
        raise InvalidInput(f"{bead_id} is not a molecule")
    return bead_id


def load(db: sqlite3.Connection, partial: str) -> Molecule:
    """The molecule `partial` names (its root or a step), with every step's state."""
    root = query.get(db, root_id(db, partial))
    return from_root(db, root)


def from_root(db: sqlite3.Connection, root: dict[str, Any]) -> Molecule:
    """The molecule whose root document is `root`."""
    info = info_of(root)
    if info is None:
        raise InvalidInput(f"{root['id']} is not a molecule")
    molecule = Molecule(root, info)
    if molecule.inline:
        molecule.steps = _inline_steps(molecule)
    else:
        molecule.steps = _bead_steps(db, molecule)
    return molecule


def _inline_steps(molecule: Molecule) -> list[Step]:
    done: dict[str, Any] = molecule.info.get("done") or {}
    steps = []
    for raw in molecule.info["proto"]["steps"]:
        record = done.get(raw["id"])
        needs = list(raw.get("needs") or [])
        steps.append(Step(
            id=raw["id"], title=raw.get("title", raw["id"]), type=raw.get("type", "task"),
            needs=needs, status="closed" if record is not None else "open",
            waiting=[n for n in needs if n not in done],
            description=raw.get("description", ""), acceptance=raw.get("acceptance", ""),
            assignee=raw.get("assignee", ""),
            updated_at=(record or {}).get("at", ""), closed_at=(record or {}).get("at", ""),
            close_reason=(record or {}).get("reason", "")))
    return steps


def _bead_steps(db: sqlite3.Connection, molecule: Molecule) -> list[Step]:
    wanted = molecule.step_bead_ids()
    rows = db.execute("SELECT d.id, d.doc FROM beads b JOIN docs d ON d.id = b.id "
                      "WHERE b.parent = ?", (molecule.id,)).fetchall()
    docs = {bead_id: canonical.loads(raw) for bead_id, raw in rows}
    docs = {bead_id: docs[bead_id] for bead_id in wanted if bead_id in docs}
    step_ids = {bead_id: (step_of(doc) or {}).get("id", bead_id) for bead_id, doc in docs.items()}
    status = {bead_id: doc["status"] for bead_id, doc in docs.items()}
    steps = []
    for bead_id, doc in docs.items():
        record = step_of(doc) or {}
        waiting = []
        for dep in doc.get("dependencies", ()):
            if dep["type"] != "blocks":
                continue
            target = dep["depends_on_id"]
            if _status(db, status, target) not in (None, "closed"):
                waiting.append(step_ids.get(target, target))
        steps.append(Step(
            id=record.get("id", bead_id), title=doc.get("title", ""),
            type=record.get("type", doc.get("issue_type", "task")),
            needs=list(record.get("needs") or []), status=doc["status"], waiting=waiting,
            bead=bead_id, description=doc.get("description") or "",
            acceptance=doc.get("acceptance_criteria") or "",
            assignee=doc.get("assignee") or "", updated_at=doc.get("updated_at") or "",
            closed_at=doc.get("closed_at") or "", close_reason=doc.get("close_reason") or "",
            failed=bool(doc.get("close_failed"))))
    return steps


def _status(db: sqlite3.Connection, known: dict[str, str], bead_id: str) -> str | None:
    """A bead's status: from the molecule's own steps, else the cache (None: absent)."""
    if bead_id in known:
        return known[bead_id]
    row = db.execute("SELECT status FROM beads WHERE id=?", (bead_id,)).fetchone()
    return row[0] if row else None


def roots(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every molecule root (committed and wisp), oldest first."""
    rows = db.execute(
        "SELECT d.doc FROM labels l JOIN beads b ON b.id = l.id JOIN docs d ON d.id = l.id "
        "WHERE l.label = ? ORDER BY b.created_at, b.id", (ROOT_LABEL,)).fetchall()
    return [doc for doc in (canonical.loads(r[0]) for r in rows) if info_of(doc) is not None]

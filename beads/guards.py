"""The rules a write must pass: the one home of each rule `bd create`, `bd update`, `bd dep add`
and the other writes enforce.

Contract:
- A guard is a plain function of what it judges (a value, a bead document, a `View` of the
  ledger, the read cache's connection) and of nothing else: no `Ledger`, no command line, and
  importing this module loads no git library. It returns the checked value (or a decision, or
  None) or raises a `BeadsError` whose one-line message names the rule, and `--force` where
  the command lets a rule be overridden. A guard never writes and never changes its arguments.
- Writers call guards while planning, against the snapshot the commit will land on
  (`beads.writer`), so no rule is checked against stale state. Checks of plain input (labels,
  comments, config keys) may also run before planning, to fail before any git work.
- Guards judge one record or one link at a time, so a batch writer applies the same rules as
  the single commands by calling them for each bead and each link it plans (`check_new_id`,
  `check_settable`, `check_label`, `check_link`, `check_not_self`), and the cycle rules with
  graphs that include the links planned so far in the batch (`check_acyclic_in` on the
  graphs `link_graphs` gives, which applies `check_no_blocking_cycle` and
  `check_not_own_ancestor`).

Links across ledgers: a `tracks` link may name a bead of another ledger (a convoy in the
town's ledger tracks rig beads), so its target is checked for form only, never looked up
(`is_foreign`). A link of any type may name a bead of another project in Beads' form
`external:<project>:<id>` (`is_external`): checked for form only too, and it never holds a
bead back (as in Beads with no `external_projects` configured).
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from beads import query
from beads.errors import AlreadyClaimed, CycleError, GuardError, InvalidInput, NotFound
from beads.ids import check_dep_target, check_id
from beads.model import BLOCKING_DEP_TYPES, DERIVED_FIELDS, check_utf8

if TYPE_CHECKING:
    from beads.view import View

_BAD_LABEL = re.compile(r"[\x00-\x1f\x7f-\x9f,]")
_CONFIG_KEY = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
# Fields only the ledger sets, by the command that is refused them.
_SET_BY_LEDGER = {"create": DERIVED_FIELDS | {"id", "deleted"},
                  "update": DERIVED_FIELDS | {"id", "deleted", "created_by"}}
# The one link type that may name a bead of another ledger (see `is_foreign`).
CROSS_LEDGER_LINK = "tracks"
# How a link names a bead of another project (see `is_external`).
EXTERNAL_PREFIX = "external:"
# Link types that order work; a cycle of them would hold every bead on it back forever.
ORDERING_LINKS = BLOCKING_DEP_TYPES - {"parent-child"}


# ----------------------------------------------------------------- plain input


def check_label(label: str) -> str:
    if not isinstance(label, str) or not label.strip() or len(label) > 100 \
            or _BAD_LABEL.search(label):
        raise InvalidInput(f"invalid label {label!r}: 1-100 printable characters, no commas")
    return check_utf8(label, "the label")


def check_comment(text: str) -> str:
    if not text or not text.strip():
        raise InvalidInput("a comment needs text")
    return check_utf8(text, "the comment")


def check_config_key(key: str) -> str:
    if not _CONFIG_KEY.match(key):
        raise InvalidInput(f"invalid config key {key!r}")
    return key


def check_settable(name: str, command: str) -> str:
    """A field `command` ("create" or "update") may set: not one only the ledger sets."""
    if name in _SET_BY_LEDGER[command]:
        raise InvalidInput(f"{name} is set by the ledger, not by {command}")
    return name


def check_opens(fields: dict[str, Any]) -> None:
    """A new bead starts open (or in another open state), never closed."""
    if fields.get("status") == "closed":
        raise InvalidInput("create a bead open, then close it")


# ----------------------------------------------------------------- beads and links


def live(view: View, bead_id: str) -> dict[str, Any]:
    """The bead's document; a bead that is absent or deleted is refused."""
    doc = view.live(bead_id)
    if doc is None:
        raise NotFound(f"no bead {bead_id!r}")
    return doc


def check_new_id(view: View, bead_id: str) -> str:
    """A chosen id for a new bead: well-formed and not used, even by a deleted bead."""
    check_id(bead_id)
    if view.doc(bead_id) is not None or bead_id in view.new_ids:
        raise InvalidInput(f"bead {bead_id!r} already exists")
    return bead_id


def is_foreign(dep_type: str, target: str, prefix: str,
               new_ids: set[str] | frozenset[str] = frozenset()) -> bool:
    """Whether a link names a bead of another ledger: only a `tracks` link may, and its target
    then carries another prefix than this ledger's and is not one of the beads this write
    creates (`new_ids`)."""
    return dep_type == CROSS_LEDGER_LINK and not (
        target.startswith(prefix + "-") or target in new_ids)


def is_external(target: str) -> bool:
    """Whether a link names a bead of another project: `external:<project>:<id>`."""
    return target.startswith(EXTERNAL_PREFIX)


def link_target(dep_type: str, target: str, prefix: Callable[[], str],
                resolve: Callable[[str], str]) -> str:
    """The bead a link names: an external or foreign target as given (checked for form), any
    other resolved to a bead of this ledger. `prefix` gives this ledger's prefix; it is asked
    only for a link of the type that may cross ledgers."""
    if is_external(target) or (dep_type == CROSS_LEDGER_LINK
                                and is_foreign(dep_type, target, prefix())):
        return check_dep_target(target)
    return resolve(target)


def check_link(view: View, dep_type: str, target: str) -> None:
    """A new link's target is a live bead of the snapshot or the overlay, unless external
    or foreign."""
    if is_external(target):
        return
    if not is_foreign(dep_type, target, view.snap.meta["prefix"], view.new_ids):
        live(view, target)


def check_not_self(bead_id: str, target: str) -> None:
    if bead_id == target:
        raise CycleError(f"{bead_id} cannot depend on itself")


def check_not_own_ancestor(bead_id: str, parent: str,
                           parent_of: Callable[[str], str | None]) -> None:
    """`parent` may become the parent of `bead_id` unless `bead_id` is among its ancestors."""
    ancestor: str | None = parent
    seen = set()
    while ancestor and ancestor not in seen:
        if ancestor == bead_id:
            raise CycleError(f"{parent} is a descendant of {bead_id}: a bead cannot be "
                             "its own ancestor")
        seen.add(ancestor)
        ancestor = parent_of(ancestor)


def check_no_blocking_cycle(bead_id: str, target: str, graph: dict[str, list[str]]) -> None:
    """An ordering link `bead_id -> target` is refused when `target` already reaches
    `bead_id` in `graph` (bead -> the beads its ordering links name)."""
    if query.reaches(graph, target, bead_id):
        raise CycleError(f"refused: {bead_id} -> {target} would close a dependency cycle "
                         f"({target} already depends on {bead_id})")


def link_graphs(db: sqlite3.Connection) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The ordering links and the parent-child links (bead -> targets) of the ledger the read
    cache `db` holds: the graphs a batch writer starts from, adding the links it plans."""
    parents: dict[str, list[str]] = defaultdict(list)
    for bead, target in db.execute("SELECT id, target FROM deps WHERE type = 'parent-child'"):
        parents[bead].append(target)
    return query.blocking_edges(db), parents


def check_acyclic_in(bead_id: str, target: str, kind: str, ordering: dict[str, list[str]],
                     parents: dict[str, list[str]]) -> None:
    """A new link of type `kind` closes no cycle in the graphs `ordering` and `parents`
    (from `link_graphs`, plus the links a batch planned before this one)."""
    if kind == "parent-child":
        def parent_of(child: str) -> str | None:
            return next(iter(parents.get(child, ())), None)

        check_not_own_ancestor(bead_id, target, parent_of)
    elif kind in ORDERING_LINKS:
        check_no_blocking_cycle(bead_id, target, ordering)


def check_acyclic(db: sqlite3.Connection, bead_id: str, target: str, kind: str) -> None:
    """A new link of type `kind` closes no cycle in the ledger the read cache `db` holds."""
    if kind == "parent-child":
        def parent_of(child: str) -> str | None:
            row = db.execute("SELECT parent FROM beads WHERE id=?", (child,)).fetchone()
            return row[0] if row else None

        check_not_own_ancestor(bead_id, target, parent_of)
    elif kind in ORDERING_LINKS:
        check_no_blocking_cycle(bead_id, target, query.blocking_edges(db))


# ----------------------------------------------------------------- status changes


def needs_claim(doc: dict[str, Any], actor: str) -> bool:
    """Whether `actor` claiming the bead changes anything; a closed bead or one another
    actor holds is refused."""
    holder = doc.get("assignee")
    if doc.get("status") == "closed":
        raise GuardError(f"{doc['id']} is closed; reopen it before claiming")
    if holder and holder != actor:
        raise AlreadyClaimed(f"{doc['id']} already claimed by {holder}", holder=holder)
    return not (holder == actor and doc.get("status") == "in_progress")


def check_closable(db: sqlite3.Connection, bead_id: str,
                   held: dict[str, list[tuple[str, str]]], closing: set[str]) -> None:
    """A bead closes when no open `blocks` target holds it (`held`, from `query.blockers`)
    and it has no open child, counting the beads closed together with it as closed."""
    blockers = [b for b, why in held.get(bead_id, []) if why == "blocks"
                and b not in closing]
    if blockers:
        raise GuardError(f"cannot close {bead_id}: blocked by open {', '.join(blockers)} "
                         "(use --force to close anyway)")
    children = [r[0] for r in db.execute(
        "SELECT id FROM beads WHERE parent=? AND status != 'closed' ORDER BY id",
        (bead_id,)) if r[0] not in closing]
    if children:
        raise GuardError(f"cannot close {bead_id}: open children {', '.join(children)} "
                         "(use --force to close anyway)")


def check_reopenable(doc: dict[str, Any]) -> None:
    if doc["status"] != "closed":
        raise InvalidInput(f"{doc['id']} is not closed")


def check_deletable(db: sqlite3.Connection, bead_id: str, deleting: set[str]) -> None:
    """A bead is deleted when nothing but the beads deleted with it depends on it."""
    dependents = [i for i, _ in query.dependents_of(db, bead_id) if i not in deleting]
    if dependents:
        raise GuardError(f"cannot delete {bead_id}: {', '.join(dependents)} depend "
                         "on it (use --force to delete anyway)")

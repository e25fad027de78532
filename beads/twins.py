"""Twins: two clones that minted one id for two different beads, told apart when they merge.

Each bead document remembers the clock of the create that made it (`_origin`). When the two
sides of a merge hold different beads under one id, the earlier create keeps the id and the
later is renamed `<id>-<6 hex of its create event>`, so every clone picks the same one and
names it the same, whichever side merges. Only minted ids have twins: a chosen id (`bd create
--id`, an import, gt's agent beads such as `<prefix>-<rig>-witness`) names one bead wherever
it is created, so its creates carry `named` and their documents no origin, and two sides
holding it merge register by register like any other bead.

Links follow the rename. Until the merge, the side that held the renamed bead had never seen
the other one, so every reference to the id written by that side's own events (those not
reachable from the other tip) meant its own bead: such dependency registers, and fields
outside Beads' text and time fields whose whole value is the id (gt's `hook_bead`), are
moved to the new id. References written by the other side keep the id they meant.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pygit2

from beads import fold
from beads.events import parse_message
from beads.model import TEXT_FIELDS, TIME_FIELDS

Doc = dict[str, Any]

# Fields whose value is prose, a person or a time: never a reference to a bead.
NOT_REFERENCES = frozenset({*TEXT_FIELDS, *TIME_FIELDS, *fold.STATUS_GROUP, "id"})


@dataclass(frozen=True)
class Rename:
    """The bead `old` of the side whose tip is `side` is `new` from this merge on."""

    old: str
    new: str
    side: pygit2.Oid


def origin(doc: Doc) -> tuple:
    return tuple(doc.get("_origin") or ())


def are_twins(ours: Doc, theirs: Doc) -> bool:
    """Two different beads under one id: each clone minted it for its own create."""
    return bool(origin(ours) and origin(theirs)) and origin(ours) != origin(theirs)


def split(ours: Doc, theirs: Doc) -> tuple[Doc, Doc]:
    """(the twin that keeps the id, the other under its new id)."""
    keep, moved = sorted((ours, theirs), key=origin)
    return keep, {**moved, "id": f"{moved['id']}-{moved['_origin'][2][:6]}"}


def side_events(repo: pygit2.Repository, tip: pygit2.Oid, other: pygit2.Oid) -> set[str]:
    """The ids of the events reachable from `tip` and not from `other`."""
    walker = repo.walk(tip, pygit2.enums.SortMode.NONE)
    walker.hide(other)
    return {event.eid for commit in walker for event in parse_message(commit.message)
            if event.eid}


def retarget(doc: Doc, old: str, new: str, eids: set[str]) -> Doc:
    """`doc` with the references to `old` written by the events `eids` pointing at `new`."""
    out = copy.deepcopy(doc)
    moved = fold.new_doc(doc["id"])
    for book in ("_clock", "_removed"):
        for key, clock in doc[book].items():
            if len(clock) < 3 or clock[2] not in eids:
                continue
            kind, _, rest = key.partition(":")
            dep_type, _, target = rest.partition(":")
            if kind == "dep" and target == old:
                del out[book][key]
                moved[book][f"dep:{dep_type}:{new}"] = clock

                def link(d: dict[str, Any], dep_type: str = dep_type) -> bool:
                    return (d["type"], d["depends_on_id"]) == (dep_type, old)

                moved["dependencies"] += [{**d, "depends_on_id": new}
                                          for d in out["dependencies"] if link(d)]
                out["dependencies"] = [d for d in out["dependencies"] if not link(d)]
            elif book == "_clock" and not rest and key not in NOT_REFERENCES \
                    and out.get(key) == old:
                out[key] = new
    return fold.merge(out, moved)

"""The merge queue: the rig's `refs/mr/*` refs, in the order the Refinery takes them.

Order, as a score compared left to right: bead priority (P0 first); how many times the
request was sent back (a penalty per retry: retries go behind fresh work); the age of the
oldest open convoy tracking the bead (older convoys first, so batches of work finish
together; beads in no convoy come after); the request's age (`mr_requested_at`, set by
`gt done`; oldest first); the bead id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from beads.errors import BeadsError
from gt.git import git
from gt.rig import Rig
from gt.work import convoy

NO_CONVOY = "~"  # sorts after every timestamp


@dataclass(frozen=True)
class Request:
    bead: str
    ref: str
    commit: str
    created: str
    priority: int = 2
    retries: int = 0
    convoy: str = NO_CONVOY

    @property
    def score(self) -> tuple[int, int, str, str, str]:
        return (self.priority, self.retries, self.convoy, self.created, self.bead)

    def to_dict(self) -> dict[str, Any]:
        return {"bead": self.bead, "ref": self.ref, "commit": self.commit,
                "created": self.created, "priority": self.priority, "retries": self.retries,
                "convoy_since": None if self.convoy == NO_CONVOY else self.convoy}


def requests(rig: Rig) -> list[Request]:
    listing = git("for-each-ref", "--format=%(refname) %(objectname) %(creatordate:iso-strict)",
                  "refs/mr/", cwd=rig.repo).stdout
    ledger = rig.ledger()
    out = []
    for row in listing.splitlines():
        ref, commit, created = row.split(" ")
        bead_id = ref.removeprefix("refs/mr/")
        priority, retries, since = 4, 0, NO_CONVOY
        try:
            bead = ledger.get(bead_id)
            priority = int(bead.get("priority", 2))
            retries = int(bead.get("rejections") or 0)
            created = bead.get("mr_requested_at") or created
            since = min((c["created_at"] for c in convoy.tracking(rig.town, bead_id)),
                        default=NO_CONVOY)
        except BeadsError:
            pass
        out.append(Request(bead_id, ref, commit, created, priority, retries, since))
    return sorted(out, key=lambda r: r.score)

"""The merge queue: the rig's `refs/mr/*` refs, in the order the Refinery takes them.

Order: bead priority (P0 first), then how many times the request was sent back (each retry
goes behind fresh work), then the request's age (`mr_requested_at`, set by `gt done`; oldest
first), then the bead id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from beads.errors import BeadsError
from gt.git import git
from gt.rig import Rig


@dataclass(frozen=True)
class Request:
    bead: str
    ref: str
    commit: str
    created: str
    priority: int = 2
    retries: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"bead": self.bead, "ref": self.ref, "commit": self.commit,
                "created": self.created, "priority": self.priority, "retries": self.retries}


def requests(rig: Rig) -> list[Request]:
    listing = git("for-each-ref", "--format=%(refname) %(objectname) %(creatordate:iso-strict)",
                  "refs/mr/", cwd=rig.repo).stdout
    ledger = rig.ledger()
    out = []
    for row in listing.splitlines():
        ref, commit, created = row.split(" ")
        bead_id = ref.removeprefix("refs/mr/")
        priority, retries = 4, 0
        try:
            bead = ledger.get(bead_id)
            priority = int(bead.get("priority", 2))
            retries = int(bead.get("rejections") or 0)
            created = bead.get("mr_requested_at") or created
        except BeadsError:
            pass
        out.append(Request(bead_id, ref, commit, created, priority, retries))
    return sorted(out, key=lambda r: (r.priority, r.retries, r.created, r.bead))

"""Capacity: how many polecats may have work at once, per rig and in the whole town.

`max_polecats` (town.toml: `[town]` and `[rigs.<name>]`, 0 for no limit) caps the polecats
with something on their hook. The limits are read from the file each time, so a reactor
that has run for hours obeys a limit set a minute ago. The count is taken before a sling
takes the hook: two slings at the same instant from two shells can overshoot a limit by one,
while the reactor, which dispatches queued work, does so one bead at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from beads.query import Filters
from gt.rig import Rig, rigs_readable
from gt.settings import TownSettings, load
from gt.town import Town


@dataclass(frozen=True)
class Slots:
    """The busy polecats and the limit of one scope (a rig, or the town)."""

    scope: str
    busy: int
    limit: int  # 0: no limit

    @property
    def free(self) -> int | None:
        """Free slots; None when there is no limit."""
        return None if not self.limit else max(self.limit - self.busy, 0)

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "busy": self.busy, "limit": self.limit or None,
                "free": self.free}


def current_settings(town: Town) -> TownSettings:
    """town.toml as it is now on disk (a long-running reactor's Town read it long ago)."""
    return load(town.settings_file)


def busy(rig: Rig) -> int:
    """The rig's polecats with something on their hook."""
    agents = rig.ledger().list(Filters(types=["agent"]), sort="id", limit=None)
    return sum(1 for a in agents if a.get("role") == "polecat" and a.get("rig") == rig.name
               and a.get("hook_bead"))


def slots(town: Town, rig_name: str, settings: TownSettings | None = None) -> list[Slots]:
    """The rig's slots and the town's."""
    settings = settings or current_settings(town)
    counts = {rig.name: busy(rig) for rig in rigs_readable(town)}
    rig_limit = settings.rigs[rig_name].max_polecats if rig_name in settings.rigs else 0
    return [Slots(rig_name, counts.get(rig_name, 0), rig_limit),
            Slots("town", sum(counts.values()), settings.max_polecats)]


def limited(town: Town, rig_name: str, settings: TownSettings | None = None) -> bool:
    """Whether the rig or the town has a limit at all."""
    return any(s.limit for s in slots(town, rig_name, settings))


def full(town: Town, rig_name: str, settings: TownSettings | None = None) -> str | None:
    """Why one more polecat of the rig may not take work now; None when it may."""
    settings = settings or current_settings(town)
    rig = settings.rigs.get(rig_name)
    if not settings.max_polecats and not (rig and rig.max_polecats):
        return None  # no limit: nothing to count
    for scope in slots(town, rig_name, settings):
        if scope.free == 0:
            where = "the town" if scope.scope == "town" else f"rig {scope.scope}"
            return (f"{where} is at capacity ({scope.busy} of {scope.limit} polecats have "
                    "work)")
    return None

"""The town's controls as its ledger records them: emergency stops and parked rigs.

Each is a key of the town ledger's config, set by a `config.set` event (one ledger commit),
so it syncs with the ledger and merges key by key: `gt.estop` for the whole town,
`gt.estop.rig.<rig>` for one rig, `gt.parked.<rig>` for a parked rig. A value is a record:
`{"frozen"|"parked": bool, "reason", "by", "at", "machine"}`; lifting a control writes the
same key with the flag false, so the ledger's history keeps both.

`is_frozen(town, rig)` and `hold(town, rig)` are what every path that starts work or
sessions asks: sling, the reactor's wakes and dispatch, the Refinery, restarts.
"""

from __future__ import annotations

from typing import Any

from beads.model import now_iso
from gt.town import Town

ESTOP = "gt.estop"
RIG_ESTOP = "gt.estop.rig."
PARKED = "gt.parked."


def estop_key(rig: str | None) -> str:
    return ESTOP if rig is None else RIG_ESTOP + rig


def park_key(rig: str) -> str:
    return PARKED + rig


def record(flag: str, on: bool, actor: str, town: Town, reason: str = "") -> dict[str, Any]:
    """The value of a control key: the flag, why, who, when, from which machine."""
    return {flag: on, "reason": reason, "by": actor, "at": now_iso(), "machine": town.machine}


def values(town: Town) -> dict[str, Any]:
    """The town ledger's config: every control among its keys."""
    return town.ledger().config()


def frozen_scopes(town: Town, config: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The emergency stops in force: `"town"` for the whole town, else the rig's name."""
    config = values(town) if config is None else config
    out = {}
    for key, value in config.items():
        if not (isinstance(value, dict) and value.get("frozen")):
            continue
        if key == ESTOP:
            out["town"] = value
        elif key.startswith(RIG_ESTOP):
            out[key.removeprefix(RIG_ESTOP)] = value
    return out


def parked_rigs(town: Town, config: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    config = values(town) if config is None else config
    return {key.removeprefix(PARKED): value for key, value in config.items()
            if key.startswith(PARKED) and isinstance(value, dict) and value.get("parked")}


def is_frozen(town: Town, rig: str | None = None) -> bool:
    """Whether an emergency stop holds the town (rig None) or the rig (or the whole town)."""
    scopes = frozen_scopes(town)
    return "town" in scopes or (rig is not None and rig in scopes)


def is_parked(town: Town, rig: str) -> bool:
    return rig in parked_rigs(town)


def frozen(town: Town, rig: str | None, config: dict[str, Any] | None = None) -> str | None:
    """Why sessions of `rig` (None: the town's own agents) are frozen; None when they are
    not."""
    scopes = frozen_scopes(town, config)
    for scope in ("town", rig):
        if scope in scopes:
            where = "the town" if scope == "town" else f"rig {scope}"
            why = scopes[scope].get("reason")
            return f"{where} is frozen by an emergency stop" + (f" ({why})" if why else "")
    return None


def hold(town: Town, rig: str | None) -> str | None:
    """Why no new work may start in `rig` (or, for None, among the town's own agents) now:
    an emergency stop or a parked rig; None when nothing holds it."""
    config = values(town)
    reason = frozen(town, rig, config)
    if reason is not None:
        return reason
    if rig is not None and rig in (parked := parked_rigs(town, config)):
        why = parked[rig].get("reason")
        return f"rig {rig} is parked" + (f" ({why})" if why else "")
    return None

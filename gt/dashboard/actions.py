"""What the dashboard's buttons and forms do: each calls the service the CLI calls, as the
person acting, and returns a short JSON-able result. Bad input is a GtError (one line)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from beads.model import check_utf8
from gt.agents import Address
from gt.errors import GtError
from gt.refinery import mq
from gt.rig import Rig
from gt.town import Town
from gt.townview.parts import ESCALATION
from gt.work import convoy
from gt.work.nudge import nudge
from gt.work.sling import sling


def _text(body: dict[str, Any], key: str, required: bool = True) -> str:
    value = body.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise GtError(f"{key!r} is required (a string)")
    check_utf8(value, key)
    return value.strip()


def do_sling(town: Town, person: str, body: dict[str, Any]) -> dict[str, Any]:
    slung = sling(town, _text(body, "bead"), _text(body, "target"), actor=person)
    return {"bead": slung.bead, "agent": slung.agent, "wake": slung.wake}


def do_nudge(town: Town, person: str, body: dict[str, Any]) -> dict[str, Any]:
    address = Address.parse(_text(body, "agent"))
    return {"agent": str(address), "result": nudge(town, address, _text(body, "text"), person)}


def do_bead(town: Town, person: str, body: dict[str, Any]) -> dict[str, Any]:
    rig = _text(body, "rig", required=False)
    ledger = Rig(town, rig).ledger(person) if rig else town.ledger(person)
    try:
        priority = int(body.get("priority", 2))
    except (TypeError, ValueError):
        raise GtError("'priority' is a number from 0 to 4") from None
    created = ledger.create(_text(body, "title"), priority=priority)
    return {"id": created["id"], "title": created["title"]}


def do_convoy(town: Town, person: str, body: dict[str, Any]) -> dict[str, Any]:
    beads = [b.strip() for b in _text(body, "beads").split(",") if b.strip()]
    created = convoy.create(town, _text(body, "name"), beads, owner=person, actor=person)
    return {"id": created["id"]}


def do_ack(town: Town, person: str, body: dict[str, Any]) -> dict[str, Any]:
    bead_id = _text(body, "bead")
    ledger = town.ledger_for(bead_id, person)
    bead = ledger.get(bead_id)
    if bead.get("issue_type") != ESCALATION and ESCALATION not in bead.get("labels", []):
        raise GtError(f"{bead_id} is not an escalation")
    ledger.label_add([bead_id], "acknowledged")
    return {"id": bead_id, "acknowledged": True}


def do_retry(town: Town, person: str, body: dict[str, Any]) -> dict[str, Any]:
    return mq.retry(Rig(town, _text(body, "rig")), _text(body, "bead"), person)


def do_reject(town: Town, person: str, body: dict[str, Any]) -> dict[str, Any]:
    reason = _text(body, "reason", required=False) or "rejected from the dashboard"
    outcome = mq.reject(Rig(town, _text(body, "rig")), _text(body, "bead"), reason, person)
    return outcome.to_dict()


ACTIONS: dict[str, Callable[[Town, str, dict[str, Any]], dict[str, Any]]] = {
    "sling": do_sling, "nudge": do_nudge, "bead": do_bead, "convoy": do_convoy,
    "ack": do_ack, "retry": do_retry, "reject": do_reject}

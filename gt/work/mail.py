"""Mail: message beads in the town's ledger, addressed to agents (or the overseer).

Unread mail is an open message with the label `unread`; reading removes the label;
archiving closes the message.
"""

from __future__ import annotations

from typing import Any

from beads.query import Filters
from gt.agents import OVERSEER, Address
from gt.errors import GtError
from gt.town import Town
from gt.work.nudge import drain


def check_recipient(to: str) -> str:
    if to == OVERSEER:
        return to
    return str(Address.parse(to))


def send(town: Town, sender: str, to: str, subject: str, body: str = "") -> dict[str, Any]:
    recipient = check_recipient(to)
    if not subject.strip():
        raise GtError("mail needs a subject (-s)")
    ledger = town.ledger(sender)
    return ledger.create(subject[:500], issue_type="message", assignee=recipient, sender=sender,
                         description=body, labels=["unread"])


def inbox(town: Town, address: str, unread_only: bool = False) -> list[dict[str, Any]]:
    filters = Filters(types=["message"], assignee=address, include_closed=False)
    if unread_only:
        filters.labels_all = ["unread"]
    return town.ledger().list(filters, sort="created", limit=None)


def read(town: Town, reader: str, message_id: str) -> dict[str, Any]:
    ledger = town.ledger(reader)
    message = ledger.get(message_id)
    if message.get("issue_type") != "message":
        raise GtError(f"{message['id']} is not a message")
    if "unread" in message.get("labels", []):
        ledger.label_remove([message["id"]], "unread")
    return message


def archive(town: Town, reader: str, message_id: str) -> dict[str, Any]:
    ledger = town.ledger(reader)
    message = ledger.get(message_id)
    if message.get("issue_type") != "message":
        raise GtError(f"{message['id']} is not a message")
    return ledger.close([message["id"]], reason="archived", force=True)[0]


def check(town: Town, agent: Address | None) -> dict[str, Any]:
    """Unread mail and queued nudges of `agent` (the overseer's mail when None); the nudges
    are handed over, so each is shown once."""
    name = str(agent) if agent else OVERSEER
    unread = inbox(town, name, unread_only=True)
    return {"agent": name, "unread": [{"id": m["id"], "from": m.get("sender"),
                                       "subject": m["title"]} for m in unread],
            "nudges": drain(town, agent, typed_too=False) if agent is not None else []}
